import { iso } from '../clock.js';
import { openVmtd, type Vmtd } from '../context.js';
import { createLogger } from '../log.js';
import { membersPinnedTo, type KeyPin } from '../store/key-pins.js';
import { projectRegistry } from '../identity/projects.js';
import { readInput } from './env.js';
import { CliError, EX } from './exit.js';
import type { CliEnv } from './env.js';

export const keysHelp = `usage: vmtd keys <subcommand> [--config FILE]

  team                  the team's public key, armored
  list [--json]         every key: fingerprint, source (team, config, import, mail), addresses,
                        expiry, encryption problem
  show FPR|EMAIL [--json]
                        one key (or every key carrying EMAIL): its facts, and whom it is pinned
                        for: configured people (coordinators, project contacts, stakeholders) and
                        case members
  import FILE…          adds public keys (source import); a running daemon takes them on SIGHUP
                        (systemctl reload vmtd) or at once when it next needs them
  remove FPR            deletes a key; refused for the team key, configured keys (edit the
                        configuration instead) and keys pinned by members of open cases
`;

const USAGE = 'usage: vmtd keys team | list [--json] | show FPR|EMAIL [--json] | import FILE… | remove FPR (vmtd keys --help)';

interface ConfiguredPin {
  role: 'coordinator' | 'project-contact' | 'stakeholder';
  email: string;
  /** The project or stakeholder id. */
  of?: string;
}

/** The configured people whose pinned key is `fp`. */
function configuredPins(ctx: Pick<Vmtd, 'config' | 'db' | 'people'>, fp: string): ConfiguredPin[] {
  const pinned = (email: string): boolean => ctx.people.get(email.toLowerCase()) === fp;
  const c = ctx.config;
  return [
    ...c.coordinators.filter((p) => pinned(p.email)).map((p) => ({ role: 'coordinator' as const, email: p.email.toLowerCase() })),
    // Project contacts from the registry (seeded from the configuration, added by CLI or mail).
    ...projectRegistry(ctx.db, ctx.people).flatMap((pr) => pr.contacts.filter((p) => p.fingerprint === fp).map((p) => ({ role: 'project-contact' as const, email: p.email, of: pr.id }))),
    ...c.stakeholders.filter((p) => pinned(p.email)).map((p) => ({ role: 'stakeholder' as const, email: p.email.toLowerCase(), of: p.id })),
  ];
}

const normalFpr = (s: string): string => s.replace(/\s+/g, '').replace(/^0x/i, '').toUpperCase();

async function keyFacts(ctx: Pick<Vmtd, 'config' | 'db' | 'keyring' | 'people' | 'team'>, fp: string, now: Date) {
  const d = await ctx.keyring.describe(fp, now);
  if (!d) return undefined;
  return {
    fingerprint: d.fingerprint,
    source: d.source,
    emails: d.emails,
    addedAt: d.addedAt,
    expiresAt: d.expiresAt ? iso(d.expiresAt) : null,
    encryptionProblem: d.encryptionProblem,
    team: d.fingerprint === ctx.team.fingerprint.toUpperCase(),
    pinnedFor: { configured: configuredPins(ctx, d.fingerprint), members: membersPinnedTo(ctx.db, d.fingerprint) },
  };
}
type KeyFacts = NonNullable<Awaited<ReturnType<typeof keyFacts>>>;

function human(k: KeyFacts): string {
  const member = (m: KeyPin): string => `  ${m.caseId} (${m.caseState})  ${m.role}  ${m.email}`;
  return [
    `${k.fingerprint}${k.team ? '  (team key)' : ''}`,
    `source:     ${k.source}`,
    `addresses:  ${k.emails.join(', ') || '(no self-certified address)'}`,
    `added:      ${k.addedAt}`,
    `expires:    ${k.expiresAt ?? 'never'}`,
    `encryption: ${k.encryptionProblem ?? 'usable'}`,
    `configured: ${k.pinnedFor.configured.map((p) => `${p.role}${p.of ? ` ${p.of}` : ''} ${p.email}`).join(', ') || 'none'}`,
    `members:    ${k.pinnedFor.members.length === 0 ? 'none' : ''}`.trimEnd(),
    ...k.pinnedFor.members.map(member),
  ].join('\n') + '\n';
}

/** `vmtd keys team|list|show|import|remove`. */
export async function keysCommand(env: CliEnv): Promise<number> {
  const [sub, ...files] = env.args;
  if (!sub || !['team', 'list', 'show', 'import', 'remove'].includes(sub)) throw new CliError(USAGE, EX.USAGE);
  const ctx = await openVmtd(env.config, env.clock, createLogger('warn'));
  try {
    const now = env.clock();
    if (sub === 'team') {
      env.out(ctx.team.publicKey.armor());
      return EX.OK;
    }
    if (sub === 'list') {
      const keys = await ctx.keyring.describeAll(now);
      if (env.values.json) {
        env.out(JSON.stringify(keys.map((k) => ({ fingerprint: k.fingerprint, source: k.source, emails: k.emails, expiresAt: k.expiresAt ? iso(k.expiresAt) : null, encryptionProblem: k.encryptionProblem })), null, 2) + '\n');
        return EX.OK;
      }
      for (const k of keys) {
        const state = k.encryptionProblem ?? (k.expiresAt ? `expires ${iso(k.expiresAt)}` : 'usable');
        env.out(`${k.fingerprint}  ${k.source.padEnd(6)}  ${k.emails.join(', ')}  (${state})\n`);
      }
      return EX.OK;
    }
    if (sub === 'show' && files.length === 1) {
      const arg = files[0]!;
      const fps = arg.includes('@') ? ctx.keyring.fingerprintsFor(arg) : [normalFpr(arg)];
      const facts = (await Promise.all(fps.map((f) => keyFacts(ctx, f, now)))).filter((k): k is KeyFacts => k !== undefined);
      if (facts.length === 0) throw new CliError(arg.includes('@') ? `no key carries ${arg}` : `no key ${normalFpr(arg)} in the keyring`, EX.NOINPUT);
      if (env.values.json) env.out(JSON.stringify(arg.includes('@') ? facts : facts[0], null, 2) + '\n');
      else env.out(facts.map(human).join('\n'));
      return EX.OK;
    }
    if (sub === 'remove' && files.length === 1) {
      const fp = normalFpr(files[0]!);
      const k = await keyFacts(ctx, fp, now);
      if (!k) throw new CliError(`no key ${fp} in the keyring`, EX.NOINPUT);
      if (k.team) throw new CliError(`${fp} is the team key: it cannot be removed (to rotate it, see README "Rotating the team key")`, EX.DATAERR);
      const conf = k.pinnedFor.configured;
      if (k.source === 'config' || conf.length > 0) {
        const who = conf.map((p) => `${p.role}${p.of ? ` ${p.of}` : ''} ${p.email}`).join(', ');
        throw new CliError(`${fp} is a configured key${who ? ` (${who})` : ''}: remove or replace it in the configuration (then systemctl reload vmtd) or the project registry (vmtd project update ID --remove-contact EMAIL); refused`, EX.DATAERR);
      }
      const open = k.pinnedFor.members.filter((m) => m.open);
      if (open.length > 0) {
        throw new CliError(`${fp} is pinned by members of open cases: ${open.map((m) => `${m.caseId} ${m.role} ${m.email}`).join(', ')}; remove them first (X-REMOVE-EXPERT) or close the cases; refused`, EX.DATAERR);
      }
      ctx.keyring.remove(fp);
      env.out(`removed ${fp} (${k.source}; ${k.emails.join(', ') || 'no address'})\n`);
      return EX.OK;
    }
    if (sub === 'import' && files.length > 0) {
      for (const f of files) {
        const data = readInput(f);
        const text = data.toString('latin1');
        let keys;
        try {
          keys = await ctx.keyring.import(/-----BEGIN PGP/.test(text) ? text : new Uint8Array(data), 'import', iso(now));
        } catch (err) {
          throw new CliError(`${f}: no readable OpenPGP public key (${(err as Error).message.split('\n')[0]})`, EX.DATAERR);
        }
        for (const k of keys) env.out(`imported ${k.getFingerprint().toUpperCase()} ${k.users.map((u) => u.userID?.email).filter(Boolean).join(', ')}\n`);
      }
      return EX.OK;
    }
    throw new CliError(USAGE, EX.USAGE);
  } finally {
    ctx.db.close();
  }
}
