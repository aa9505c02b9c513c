import type * as openpgp from 'openpgp';
import { iso } from '../clock.js';
import type { Vmtd } from '../context.js';
import { loadDraft, saveDraft, type CaseDraft } from '../cases/draft.js';
import { isOpen } from '../cases/lifecycle.js';
import { caseList } from '../cases/view.js';
import { attachedKeys } from '../intake/learn-keys.js';
import { addToCase, clockSlackMs, openCaseFor, withinAnswerRate, type Understood } from '../intake/process.js';
import { textEntity } from '../mail/compose.js';
import { describeKey, emailsOf, fingerprintOf } from '../pgp/keys.js';
import { getCase } from '../store/cases.js';
import { addEvent } from '../store/events.js';
import { enqueue, type OutgoingMail } from '../store/outbox.js';
import { markSpoolDone } from '../store/spool.js';
import { composeLetter } from '../outbound/letters.js';
import { authenticate } from './authorize.js';
import { formatUtc } from './embargo.js';
import { parseCommands, type CommandLine } from './grammar.js';
import { helpText } from './help.js';
import { handlers, mayUse, settleSchedule, type Actor, type KeywordEnv } from './keywords.js';
import { advisoryPreview, validateAdvisoryYaml } from './advisory-check.js';

const teamKeywords = ['HELP', 'LIST-CASES', 'OPEN'];
/** Keywords whose arguments may carry case content: their events record the keyword only. */
const privateArgs = ['TITLE', 'CREDIT', 'ADVISORY', 'LEAKED', 'EMBARGO-OVERRIDE', 'OPEN'];

interface LineResult {
  line: string;
  ok: boolean;
  note?: string;
}

function resultsText(results: LineResult[], applied: boolean): string {
  const width = Math.min(40, Math.max(...results.map((r) => r.line.length)));
  const lines = results.map((r) => `${r.line.padEnd(width)}  ${r.ok ? `OK${r.note ? `: ${r.note}` : ''}` : `FAILED: ${r.note}`}`);
  if (!applied && results.some((r) => !r.ok)) lines.push('', 'Nothing was applied: fix the failed lines and send all of them again, signed anew.');
  return lines.join('\n');
}

/**
 * The answer to the signer: signed, and encrypted to their key when it can encrypt. Answers to
 * an authenticated signer are not rate-limited; refusals (the From may be forged) are.
 */
async function answer(ctx: Vmtd, u: Understood, to: string, key: openpgp.PublicKey | undefined, caseId: string | null, subject: string, text: string, limited = false): Promise<OutgoingMail[]> {
  if (limited && !withinAnswerRate(ctx, to)) return [];
  const usable = key && !(await describeKey(key, ctx.clock())).encryptionProblem ? key : undefined;
  return [
    await composeLetter(ctx, {
      to,
      ...(usable ? { key: usable } : {}),
      caseId: usable ? caseId : null,
      kind: 'answer',
      subject,
      text,
      ...(u.headers.messageId ? { inReplyTo: u.headers.messageId, references: [u.headers.messageId] } : {}),
      autoSubmitted: 'auto-replied',
    }),
  ];
}

/** Records a refusal: the answer (if any) is queued and the message is done; nothing else changes. */
async function refuse(ctx: Vmtd, u: Understood, caseId: string | null, reason: string, key?: openpgp.PublicKey): Promise<void> {
  const mails = u.headers.automatic || !u.sender ? [] : await answer(ctx, u, u.sender, key, caseId && key ? caseId : null, 'Your commands were refused', `Your command message was refused: ${reason}.\n\nNothing was changed.`, true);
  const at = iso(ctx.clock());
  ctx.db.transaction(() => {
    if (caseId && getCase(ctx.db, ctx.sealer, caseId)) addEvent(ctx.db, caseId, at, u.sender ?? 'unknown', 'command-refused', { reason, spool: u.row.id });
    for (const m of mails) enqueue(ctx.db, m, at);
    markSpoolDone(ctx.db, u.row.id, 'command', null, at);
  })();
  ctx.log.warn({ spool: u.row.id, case: caseId, reason }, 'command refused');
}

/** A file name safe to attach: letters, digits, '.', '-', '_' only, no leading dot. */
export function safeFileName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '').slice(0, 100) || 'attachment';
}

function attachedPatches(u: Understood): Array<{ name: string; content: Buffer }> {
  return u.content.attachments.filter((a) => !a.truncated && /\.(patch|diff)$/i.test(a.filename ?? '')).map((a) => ({ name: safeFileName(a.filename!), content: a.content }));
}

function attachedYaml(u: Understood): string | null {
  const a = u.content.attachments.find((x) => !x.truncated && (/\.ya?ml$/i.test(x.filename ?? '') || ['application/yaml', 'text/yaml', 'application/x-yaml', 'text/x-yaml'].includes(x.contentType)));
  return a ? a.content.toString('utf8') : null;
}

/** Usable fingerprints for addresses, from attached keys first, then the keyring. */
async function keyResolver(ctx: Vmtd, lines: CommandLine[], attached: openpgp.PublicKey[]): Promise<Map<string, string | null>> {
  const wanted = lines.filter((l) => ['ADD-EXPERT', 'ADD-PROJECT'].includes(l.keyword));
  const emails = new Set<string>();
  for (const l of wanted) {
    if (l.keyword === 'ADD-EXPERT') emails.add(l.args.replace(/^.*</, '').replace(/>.*$/, '').trim().toLowerCase());
    else ctx.config.projects.find((p) => p.id === l.args.trim().toLowerCase())?.contacts.forEach((c) => emails.add(c.email.toLowerCase()));
  }
  const found = new Map<string, string | null>();
  for (const email of emails) {
    const candidates = [...attached.filter((k) => emailsOf(k).includes(email)), ...[ctx.keyring.forEmail(email)].filter((k): k is openpgp.PublicKey => !!k)];
    let fp: string | null = null;
    for (const k of candidates) {
      if (!(await describeKey(k, ctx.clock())).encryptionProblem) {
        fp = fingerprintOf(k);
        break;
      }
    }
    found.set(email, fp);
  }
  return found;
}

function statusText(d: CaseDraft): string {
  return [
    `Case ${d.id}: ${d.state}${d.class ? `, class ${d.class}` : ''}${d.severity ? `, severity ${d.severity}` : ''}`,
    `Embargo:   ${d.embargo ? formatUtc(new Date(d.embargo)) : 'none'}`,
    `CVEs:      ${d.cves.join(', ') || 'none'}`,
    `Projects:  ${Object.entries(d.projects).map(([p, s]) => `${p} (${s})`).join(', ') || 'none'}`,
    `Notify:    ${d.stakeholders.join(', ') || 'none'}`,
    `Advisory:  ${d.advisory ? `revision ${d.advisory.revision}, ${d.advisory.state}` : 'none'}`,
    `Members:   ${d.members.length}`,
  ].join('\n');
}

/**
 * Handles a message whose decrypted text starts with keyword lines: authenticates the signature,
 * binds it to the case it was sent to, authorizes every keyword for the signer's role, applies all
 * of them in one transaction or none, answers the signer, and relays the results and the comment
 * to the other members.
 */
export async function handleCommandMessage(ctx: Vmtd, u: Understood, caseId: string | undefined): Promise<void> {
  const now = ctx.clock();
  const { lines, comment } = parseCommands(u.content.text ?? '');
  const check = u.decoded.signature;
  const signerKey = check.signer ? ctx.keyring.byFingerprint(check.signer) : undefined;
  const seen = check.digest ? !!ctx.db.prepare('SELECT 1 FROM signatures_seen WHERE digest = ?').get(check.digest) : false;
  const auth = authenticate({ check, signerEmails: signerKey ? emailsOf(signerKey) : [], from: u.headers.from, alreadyApplied: seen }, now, ctx.config.policy.commandMaxAgeHours, clockSlackMs);
  if (!auth.ok) return refuse(ctx, u, caseId ?? null, auth.reason);
  const signer = auth.signer;
  const from = u.headers.from!;

  const isTeam = lines.every((l) => teamKeywords.includes(l.keyword));
  if (isTeam && lines[0]?.keyword !== 'CASE') return teamCommands(ctx, u, lines, comment, signer, signerKey!);
  if (lines[0]?.keyword !== 'CASE') return refuse(ctx, u, caseId ?? null, 'a case command message must start with X-CASE: CASE-ID', signerKey);
  const named = lines[0].args.toUpperCase();
  if (!caseId) return refuse(ctx, u, null, `send commands for ${named} to the case address, not the team address`, signerKey);
  if (named !== caseId) return refuse(ctx, u, caseId, `X-CASE: ${named} does not match the case this message was sent to`, signerKey);

  const before = loadDraft(ctx.db, ctx.sealer, caseId)!;
  const member = before.members.find((m) => m.fingerprint === signer);
  if (!member) return refuse(ctx, u, caseId, 'your key is not the key of a member of this case', signerKey);
  const actor: Actor = { email: member.email, role: member.role, projectId: member.projectId };
  if (from !== member.email) return refuse(ctx, u, caseId, 'the From address is not the address of your membership', signerKey);

  const forbidden = lines.filter((l) => !mayUse(actor.role, l.keyword) && l.keyword in handlers);
  if (forbidden.length > 0) return refuse(ctx, u, caseId, `as ${actor.role} you may not use ${forbidden.map((l) => `X-${l.keyword}`).join(', ')}`, signerKey);

  const attached = await attachedKeys(u.content);
  const keys = await keyResolver(ctx, lines, attached);
  const env: KeywordEnv = {
    now,
    config: ctx.config,
    actor,
    keyFor: (email) => keys.get(email) ?? null,
    caseExists: (id) => !!getCase(ctx.db, ctx.sealer, id),
    advisoryYaml: attachedYaml(u),
    patches: attachedPatches(u),
    validateAdvisory: validateAdvisoryYaml,
    overridden: lines.some((l) => l.keyword === 'EMBARGO-OVERRIDE' && l.args !== ''),
  };
  const after: CaseDraft = structuredClone(before);
  const results: LineResult[] = lines.map((l) => {
    const h = handlers[l.keyword];
    if (!h) return { line: l.line, ok: false, note: `unknown keyword X-${l.keyword} (send X-HELP to the team address for the list)` };
    const r = h(after, l.args, env);
    return r.ok ? { line: l.line, ok: true, ...(r.note ? { note: r.note } : {}) } : { line: l.line, ok: false, note: r.reason };
  });
  const applied = results.every((r) => r.ok);
  if (applied) settleSchedule(after);
  const wantsStatus = lines.some((l) => l.keyword === 'STATUS');
  const body = [`Results of your commands for case ${caseId}:`, '', resultsText(results, applied), ...(wantsStatus && applied ? ['', statusText(after)] : [])].join('\n');
  const answers = await answer(ctx, u, from, signerKey, caseId, `[${caseId}] command results`, body);
  if (!applied) {
    const at = iso(now);
    ctx.db.transaction(() => {
      addEvent(ctx.db, caseId, at, from, 'command-failed', { signer, failed: results.filter((r) => !r.ok).length });
      for (const m of answers) enqueue(ctx.db, m, at);
      markSpoolDone(ctx.db, u.row.id, 'command', caseId, at);
    })();
    return;
  }
  const newMembers = after.members.filter((m) => !before.members.some((b) => b.email === m.email));
  if (attached.length > 0 && newMembers.length > 0) {
    await ctx.keyring.add(attached.filter((k) => newMembers.some((m) => m.fingerprint === fingerprintOf(k))), 'import', iso(now));
  }
  const eventLines = lines.filter((l) => l.keyword !== 'CASE').map((l) => `${from} ${l.keyword === 'STATUS' ? 'asked for the status' : `sent ${privateArgs.includes(l.keyword) ? `X-${l.keyword}` : l.line}`}`);
  const preview = after.newAdvisoryYaml ? ['', `Preview of advisory revision ${after.advisory!.revision} (approve it with X-APPROVE):`, '', advisoryPreview(after.newAdvisoryYaml)] : [];
  const summary = [...eventLines, ...(after.state !== before.state ? [`The case is now ${after.state}.`] : []), ...(comment ? ['', comment] : []), ...preview].join('\n');
  const relayed = { ...u, subject: `[${caseId}] update by ${from}`, decoded: { ...u.decoded, content: textEntity(summary) } };
  await addToCase(ctx, relayed, caseId, 'command', {
    extra: answers,
    members: after.members,
    apply: (at) => {
    saveDraft(ctx.db, ctx.sealer, before, after, at, from);
    ctx.db.prepare('INSERT INTO signatures_seen (digest, case_id, at) VALUES (?, ?, ?)').run(auth.digest, caseId, at);
    for (const l of lines) {
      addEvent(ctx.db, caseId, at, from, 'command', { keyword: l.keyword, ...(privateArgs.includes(l.keyword) ? {} : { args: l.args }), signer, digest: auth.digest });
    }
    if (after.state !== before.state) addEvent(ctx.db, caseId, at, from, 'state', { from: before.state, to: after.state });
    },
  });
}

async function teamCommands(ctx: Vmtd, u: Understood, lines: CommandLine[], comment: string, signer: string, key: openpgp.PublicKey): Promise<void> {
  const from = u.headers.from!;
  const isCoordinator = ctx.config.coordinators.some((c) => c.email.toLowerCase() === from && ctx.keyring.forEmail(c.email) && fingerprintOf(ctx.keyring.forEmail(c.email)!) === signer);
  const needsCoordinator = lines.filter((l) => l.keyword !== 'HELP');
  if (needsCoordinator.length > 0 && !isCoordinator) return refuse(ctx, u, null, `only coordinators may use ${needsCoordinator.map((l) => `X-${l.keyword}`).join(', ')}`, key);
  const open = lines.find((l) => l.keyword === 'OPEN');
  const parts: string[] = [];
  if (lines.some((l) => l.keyword === 'HELP')) parts.push(helpText);
  if (lines.some((l) => l.keyword === 'LIST-CASES')) {
    const cases = caseList(ctx.db, ctx.sealer).filter((c) => isOpen(c.state as Parameters<typeof isOpen>[0]));
    parts.push(cases.length === 0 ? 'No open cases.' : ['Open cases:', ...cases.map((c) => `  ${c.id}  ${c.state.padEnd(9)}  ${c.embargo ? `embargo ${formatUtc(new Date(c.embargo))}` : 'no embargo'}  ${c.title}`)].join('\n'));
  }
  if (open) {
    if (!open.args) return refuse(ctx, u, null, 'X-OPEN needs a title', key);
    const report = { ...u, decoded: { ...u.decoded, content: textEntity(comment || '(no text)') } };
    return openCaseFor(ctx, report, {
      title: open.args,
      answer: async (caseId) => answer(ctx, u, from, key, caseId, `[${caseId}] opened`, [`Case ${caseId} is open; its address is the Reply-To of this mail.`, ...parts].join('\n\n')),
    });
  }
  const mails = await answer(ctx, u, from, key, null, 'vmtd: results of your commands', parts.join('\n\n'));
  const at = iso(ctx.clock());
  ctx.db.transaction(() => {
    for (const m of mails) enqueue(ctx.db, m, at);
    markSpoolDone(ctx.db, u.row.id, 'command', null, at);
  })();
}
