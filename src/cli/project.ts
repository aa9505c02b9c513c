import { iso } from '../clock.js';
import type { Vmtd } from '../context.js';
import { createLogger } from '../log.js';
import { parseExpert } from '../commands/keywords.js';
import { isDay, isRepoUrl, PROJECT_ID, projectRecord, type RegisteredProject } from '../cases/project.js';
import { projectRegistry } from '../identity/projects.js';
import { addEvent } from '../store/events.js';
import { deleteProject, deleteProjectContact, getProject, insertProject, listProjects, projectCaseFacts, updateProject, upsertProjectContact, type ProjectChange } from '../store/projects.js';
import { openExistingDb, readInput, type CliEnv } from './env.js';
import { CliError, EX } from './exit.js';

export const projectHelp = `usage: vmtd project <subcommand> [--config FILE]

  list [--json]          every registered project: id, name, active, contacts, policy date, fixes
  show ID [--json]       one project, its contacts (pinned keys) and its record: cases open and
                         closed, median time to first response of its contacts, time to fix,
                         embargo overruns
  add ID --name NAME [--contact EMAIL --key FILE|FPR]… [--agreed YYYY-MM-DD] [--repo URL] [--inactive]
                         registers a project; each --contact is pinned to the key of its --key
                         (a key file, imported, or the fingerprint of a key in the keyring)
  update ID [--name NAME] [--contact EMAIL --key FILE|FPR]… [--remove-contact EMAIL]…
            [--agreed YYYY-MM-DD|none] [--repo URL|none] [--active|--inactive]
  remove ID              deletes a project and its contacts (its cases keep their history);
                         refused for projects the configuration names

The running daemon reads the registry from the database: changes count at once, no restart.
Projects under \`projects:\` in the configuration are seeded at start; the configuration stays
authoritative for their configured contacts and names.
`;

const USAGE = 'usage: vmtd project list | show ID | add ID --name NAME [--contact EMAIL --key FILE]… | update ID … | remove ID [--json] (vmtd project --help)';

const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : []);

/** A contact line's key: a key file (imported as the operator's) or the fingerprint of a key in the keyring. */
async function pinFor(ctx: Pick<Vmtd, 'keyring'>, email: string, keyArg: string, now: Date): Promise<{ fingerprint: string; note: string | null }> {
  const { certifiedEmailsOf, describeKey, fingerprintOf, readPublicKeys } = await import('../pgp/keys.js');
  const fpr = keyArg.replace(/\s+/g, '').toUpperCase();
  let fingerprint: string;
  let note: string | null = null;
  if (/^[0-9A-F]{40}$/.test(fpr)) {
    if (!ctx.keyring.byFingerprint(fpr)) throw new CliError(`no key ${fpr} in the keyring (vmtd keys import FILE, or give the key file)`, EX.NOINPUT);
    fingerprint = fpr;
  } else {
    const data = readInput(keyArg);
    let keys;
    try {
      keys = await readPublicKeys(/-----BEGIN PGP/.test(data.toString('latin1')) ? data.toString('latin1') : new Uint8Array(data));
    } catch (err) {
      throw new CliError(`${keyArg}: no readable OpenPGP public key (${(err as Error).message.split('\n')[0]})`, EX.DATAERR);
    }
    const carrying = [];
    for (const k of keys) if ((await certifiedEmailsOf(k, now)).includes(email)) carrying.push(k);
    const chosen = carrying[0] ?? (keys.length === 1 ? keys[0] : undefined);
    if (!chosen) throw new CliError(`${keyArg}: no key in it carries ${email}, and it holds more than one`, EX.DATAERR);
    if (carrying.length === 0) note = `the key's user IDs do not carry ${email}; pinned because you named it`;
    await ctx.keyring.add([chosen], 'import', iso(now));
    fingerprint = fingerprintOf(chosen);
  }
  const problem = (await describeKey(ctx.keyring.byFingerprint(fingerprint)!, now)).encryptionProblem;
  if (problem) throw new CliError(`key ${fingerprint} for ${email} cannot encrypt (${problem}): the contact would receive nothing`, EX.DATAERR);
  return { fingerprint, note };
}

/** The --contact/--key pairs, in order (the n-th --key belongs to the n-th --contact). */
function contactArgs(env: CliEnv): Array<{ email: string; name: string | null; key: string }> {
  const contacts = list(env.values.contact);
  const keys = list(env.values.key);
  if (contacts.length !== keys.length) throw new CliError('each --contact needs its --key FILE|FINGERPRINT (the contact is pinned to it)', EX.USAGE);
  return contacts.map((c, i) => {
    const { email, name } = parseExpert(c);
    if (!email) throw new CliError(`--contact ${c}: not an address`, EX.USAGE);
    return { email, name, key: keys[i]! };
  });
}

function changeArgs(env: CliEnv): ProjectChange {
  const c: ProjectChange = {};
  const v = env.values;
  if (typeof v.name === 'string') {
    if (!v.name.trim()) throw new CliError('--name must not be empty', EX.USAGE);
    c.name = v.name.trim();
  }
  if (typeof v.agreed === 'string') {
    if (v.agreed !== 'none' && !isDay(v.agreed)) throw new CliError(`--agreed ${v.agreed}: not a day (YYYY-MM-DD, or none)`, EX.USAGE);
    c.policyAgreedAt = v.agreed === 'none' ? null : v.agreed;
  }
  if (typeof v.repo === 'string') {
    if (v.repo !== 'none' && !isRepoUrl(v.repo)) throw new CliError(`--repo ${v.repo}: not an http(s) URL (or none)`, EX.USAGE);
    c.fixesUrl = v.repo === 'none' ? null : v.repo;
  }
  if (v.active && v.inactive) throw new CliError('--active or --inactive, not both', EX.USAGE);
  if (v.active) c.active = true;
  if (v.inactive) c.active = false;
  return c;
}

function human(p: RegisteredProject, record?: ReturnType<typeof projectRecord>): string {
  const lines = [
    `${p.id}  ${p.name}${p.active ? '' : '  (inactive)'}`,
    `source:   ${p.source}`,
    `policy:   ${p.policyAgreedAt ? `agreed ${p.policyAgreedAt}` : 'not agreed'}`,
    `fixes:    ${p.fixesUrl ?? 'unknown'}`,
    'contacts:',
    ...(p.contacts.length === 0 ? ['  none: reports for it reach the coordinators only'] : p.contacts.map((c) => `  ${c.email}${c.name ? ` (${c.name})` : ''}  ${c.fingerprint ?? '(no usable key)'}  ${c.source}`)),
  ];
  if (record) {
    const r = record;
    lines.push(
      `cases:    ${r.cases.total} (${r.cases.open} open, ${r.cases.closed} closed)${r.cases.openIds.length ? `: ${r.cases.openIds.join(', ')}` : ''}`,
      `response: ${r.firstResponse.medianHours === null ? 'none yet' : `median ${r.firstResponse.medianHours} h`} (${r.firstResponse.answered} answered, ${r.firstResponse.unanswered} not)`,
      `fix:      ${r.timeToFix.medianDays === null ? 'none yet' : `median ${r.timeToFix.medianDays} days`} (${r.timeToFix.fixed} fixed)`,
      `overruns: ${r.embargoOverruns.count}${r.embargoOverruns.caseIds.length ? `: ${r.embargoOverruns.caseIds.join(', ')}` : ''} (${r.embargoOverruns.overridden} overridden)`,
    );
  }
  return lines.join('\n') + '\n';
}

/** `vmtd project list|show|add|update|remove`: the project registry, effective at once (the daemon reads it from the database). */
export async function projectCommand(env: CliEnv): Promise<number> {
  const [sub, rawId, ...rest] = env.args;
  if (!sub || !['list', 'show', 'add', 'update', 'remove'].includes(sub) || rest.length > 0 || (sub !== 'list' && !rawId)) throw new CliError(USAGE, EX.USAGE);
  const id = (rawId ?? '').toLowerCase();
  const now = env.clock();
  if (sub === 'list' || sub === 'show') {
    // Reading needs no keys: the registry as stored (configured contacts as the daemon last pinned them), without loading OpenPGP.
    const db = openExistingDb(env, 'no project was ever registered here');
    try {
      if (sub === 'list') {
        const all = listProjects(db);
        if (env.values.json) env.out(JSON.stringify(all, null, 2) + '\n');
        else env.out(all.length === 0 ? 'no projects\n' : all.map((p) => `${p.id.padEnd(16)} ${p.active ? 'active  ' : 'inactive'}  ${String(p.contacts.length).padStart(2)} contact(s)  ${p.policyAgreedAt ?? '-'.padEnd(10)}  ${p.name}\n`).join(''));
        return EX.OK;
      }
      const p = getProject(db, id);
      if (!p) throw new CliError(`no project ${id}`, EX.NOINPUT);
      const record = projectRecord(projectCaseFacts(db, id), now, env.config.policy.maxEmbargoDays);
      env.out(env.values.json ? JSON.stringify({ ...p, record }, null, 2) + '\n' : human(p, record));
      return EX.OK;
    } finally {
      db.close();
    }
  }
  const { openVmtd } = await import('../context.js');
  const ctx = await openVmtd(env.config, env.clock, createLogger('warn'));
  try {
    const at = iso(now);
    const configured = ctx.config.projects.some((p) => p.id === id);
    const shown = (): RegisteredProject => projectRegistry(ctx.db, ctx.people).find((p) => p.id === id)!;
    if (sub === 'remove') {
      if (configured) throw new CliError(`${id} is named in the configuration (${ctx.config.file}): remove it there, or mark it inactive (vmtd project update ${id} --inactive); refused`, EX.DATAERR);
      const removed = ctx.db.transaction(() => {
        if (!deleteProject(ctx.db, id)) return false;
        addEvent(ctx.db, null, at, 'cli', 'project-removed', { project: id });
        return true;
      })();
      if (!removed) throw new CliError(`no project ${id}`, EX.NOINPUT);
      env.out(`removed ${id}\n`);
      return EX.OK;
    }
    // add, update
    if (sub === 'add' && !PROJECT_ID.test(id)) throw new CliError(`${rawId}: not a project ID (lower-case letters, digits, '.', '_', '-'; a letter or digit first)`, EX.USAGE);
    if (sub === 'add' && typeof env.values.name !== 'string') throw new CliError('add needs --name NAME', EX.USAGE);
    const change = changeArgs(env);
    const exists = getProject(ctx.db, id);
    if (sub === 'add' && exists) throw new CliError(`project ${id} exists (vmtd project update ${id} …)`, EX.DATAERR);
    if (sub === 'update' && !exists) throw new CliError(`no project ${id} (vmtd project add ${id} --name NAME)`, EX.NOINPUT);
    if (configured && change.name !== undefined) throw new CliError(`${id} is named in the configuration: change its name there`, EX.DATAERR);
    const removals = list(env.values['remove-contact']).map((e) => e.toLowerCase());
    for (const e of removals) {
      const c = exists?.contacts.find((x) => x.email === e);
      if (!c) throw new CliError(`${e} is not a contact of ${id}`, EX.NOINPUT);
      if (c.source === 'config') throw new CliError(`${e} is a configured contact of ${id}: remove it in the configuration`, EX.DATAERR);
    }
    const contacts: Array<{ email: string; name: string | null; fingerprint: string }> = [];
    const notes: string[] = [];
    for (const c of contactArgs(env)) {
      const pin = await pinFor(ctx, c.email, c.key, now);
      if (ctx.people.has(c.email) && ctx.people.get(c.email) !== pin.fingerprint) notes.push(`${c.email} is a configured person: their configured key ${ctx.people.get(c.email) ?? '(unreadable)'} is used, not ${pin.fingerprint}`);
      if (pin.note) notes.push(pin.note);
      contacts.push({ ...c, fingerprint: pin.fingerprint });
    }
    ctx.db.transaction(() => {
      if (sub === 'add') insertProject(ctx.db, { id, name: change.name!, source: 'cli', ...change }, at);
      else updateProject(ctx.db, id, change, at);
      for (const e of removals) deleteProjectContact(ctx.db, id, e);
      for (const c of contacts) upsertProjectContact(ctx.db, id, { email: c.email, name: c.name, fingerprint: c.fingerprint, source: 'cli' }, at);
      addEvent(ctx.db, null, at, 'cli', sub === 'add' ? 'project-added' : 'project-updated', { project: id, contacts: contacts.map((c) => ({ email: c.email, fingerprint: c.fingerprint })), removed: removals, ...change });
    })();
    if (env.values.json) env.out(JSON.stringify(shown(), null, 2) + '\n');
    else env.out(`${sub === 'add' ? 'added' : 'updated'} ${id}\n${notes.map((n) => `note: ${n}\n`).join('')}${human(shown())}`);
    return EX.OK;
  } finally {
    ctx.db.close();
  }
}
