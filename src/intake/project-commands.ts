import type * as openpgp from 'openpgp';
import { iso } from '../clock.js';
import type { Vmtd } from '../context.js';
import type { CommandLine } from '../commands/grammar.js';
import type { KeyPick } from '../commands/keywords.js';
import { parseExpert } from '../commands/keywords.js';
import { applyProjectLines, projectTeamKeywords, splitId } from '../commands/project-keywords.js';
import { certifiedEmailsOf, describeKey, fingerprintOf } from '../pgp/keys.js';
import { addEvent } from '../store/events.js';
import { enqueue, type OutgoingMail } from '../store/outbox.js';
import { listProjects, saveRegistry } from '../store/projects.js';
import { recordCommand } from '../store/seen.js';
import { finishSpooled } from './finish.js';
import { attachedKeys } from './learn-keys.js';
import type { Understood } from './understood.js';

/** What the command shell lends the registry commands (its answer and refusal, bound to the signer). */
export interface TeamShell {
  /** The signed statement's identity, recorded with the outcome. */
  digest: string;
  signer: string;
  /** The answer to the signer, encrypted to the key that signed. */
  answer: (subject: string, text: string) => Promise<OutgoingMail[]>;
  refuse: (reason: string) => Promise<void>;
}

/** Whether a keyword manages the project registry. */
export const isProjectKeyword = (keyword: string): boolean => projectTeamKeywords.includes(keyword);

/**
 * The key each X-PROJECT-CONTACT line pins, decided before the handlers run: the fingerprint the
 * line names (attached, or in the keyring from any source: the coordinator vouches for it by
 * naming it), else a key attached to this signed message carrying the address, else an imported
 * or configured key carrying it. A key only ever learned from unauthenticated mail is never picked.
 */
async function contactKeys(ctx: Pick<Vmtd, 'keyring' | 'clock'>, lines: CommandLine[], attached: openpgp.PublicKey[]): Promise<Map<string, KeyPick>> {
  const now = ctx.clock();
  const picks = new Map<string, KeyPick>();
  const adds = lines.filter((l) => l.keyword === 'PROJECT-CONTACT');
  // A key imported by `vmtd keys import` since this process read the keyring counts at once.
  if (adds.length > 0) await ctx.keyring.reload(now);
  for (const l of adds) {
    const { email, fingerprint } = parseExpert(splitId(l.args).rest);
    if (!email) continue;
    const carrying = async (k: openpgp.PublicKey): Promise<boolean> => (await certifiedEmailsOf(k, now)).includes(email);
    let key: openpgp.PublicKey | undefined;
    if (fingerprint) key = attached.find((a) => fingerprintOf(a) === fingerprint) ?? ctx.keyring.byFingerprint(fingerprint);
    else {
      for (const a of attached) if (!key && (await carrying(a))) key = a;
      key ??= ctx.keyring.keysFor(email, { trustedOnly: true })[0];
    }
    if (!key) {
      picks.set(email, { ok: false, reason: fingerprint ? `key ${fingerprint}: no such key: attach it or import it first` : `no key for ${email}: attach it to this message or name its fingerprint (X-PROJECT-CONTACT: ID ${email} FINGERPRINT)` });
      continue;
    }
    const problem = (await describeKey(key, now)).encryptionProblem;
    const fp = fingerprintOf(key);
    picks.set(email, problem ? { ok: false, reason: `key ${fp}: ${problem}` } : { ok: true, fingerprint: fp, ...((await carrying(key)) ? {} : { note: `the key's user IDs do not carry ${email}; pinned because you named it` }) });
  }
  return picks;
}

/**
 * A coordinator's registry commands (X-PROJECT-ADD, X-PROJECT-CONTACT, …, sent signed to the
 * intake): all lines apply in one transaction or none; keys attached and pinned are imported (the
 * coordinator vouched for them); the answer lists each line; the event log records the change.
 * `others` is what the message's other team keywords (X-HELP, X-LIST-CASES) answered.
 */
export async function projectTeamCommands(ctx: Pick<Vmtd, 'config' | 'db' | 'keyring' | 'clock' | 'log'>, u: Understood, lines: CommandLine[], others: string[], shell: TeamShell): Promise<void> {
  if (lines.some((l) => l.keyword === 'OPEN')) return shell.refuse('X-OPEN cannot be combined with registry commands: send it in a message of its own');
  const now = ctx.clock();
  const mine = lines.filter((l) => isProjectKeyword(l.keyword));
  const attached = await attachedKeys(u.content);
  const keys = await contactKeys(ctx, mine, attached);
  const before = listProjects(ctx.db);
  const { after, results } = applyProjectLines(before, mine, {
    now,
    configuredIds: ctx.config.projects.map((p) => p.id),
    keyFor: (email) => keys.get(email) ?? { ok: false, reason: `no key for ${email}` },
  });
  const width = Math.min(40, Math.max(...results.map((r) => r.line.length)));
  const text = [
    'Results of your registry commands:',
    '',
    ...results.map((r) => `${r.line.padEnd(width)}  ${r.ok ? `OK${r.note ? `: ${r.note}` : ''}` : `FAILED: ${r.note}`}`),
    ...(after ? [] : ['', 'Nothing was applied: fix the failed lines and send all of them again, signed anew.']),
    ...others.map((o) => `\n${o}`),
  ].join('\n');
  const mails = await shell.answer('vmtd: results of your registry commands', text);
  const pinned = after ? attached.filter((k) => after.some((p) => p.contacts.some((c) => c.source === 'mail' && c.fingerprint === fingerprintOf(k)))) : [];
  if (pinned.length > 0) await ctx.keyring.add(pinned, 'import', iso(now));
  const at = iso(now);
  const from = u.headers.from ?? 'unknown';
  ctx.db.transaction(() => {
    if (after) {
      saveRegistry(ctx.db, before, after, at);
      for (const l of mine) if (l.keyword !== 'LIST-PROJECTS') addEvent(ctx.db, null, at, from, 'project-command', { keyword: l.keyword, args: l.args, signer: shell.signer, digest: shell.digest });
    }
    recordCommand(ctx.db, shell.digest, null, after ? 'applied' : 'failed', u.row.id, at);
    for (const m of mails) enqueue(ctx.db, m, at);
    finishSpooled(ctx, u, 'command', null, at);
  })();
  ctx.log.info({ spool: u.row.id, applied: !!after, lines: mine.length }, 'registry commands');
}
