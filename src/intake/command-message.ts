import type * as openpgp from 'openpgp';
import { iso } from '../clock.js';
import type { Vmtd } from '../context.js';
import type { CaseRecord } from '../cases/record.js';
import { loadCaseRecord, saveCaseRecord } from '../store/case-records.js';
import { isOpen } from '../cases/lifecycle.js';
import { caseList } from '../store/case-view.js';
import { attachmentEntity, textEntity } from '../mail/compose.js';
import { certifiedEmailsOf, describeKey, fingerprintOf, signingProblem } from '../pgp/keys.js';
import { addEvent } from '../store/events.js';
import { enqueue, type OutgoingMail } from '../store/outbox.js';
import { commandSeen, recordCommand, type CommandOutcome } from '../store/seen.js';
import { composeLetter } from '../compose/letters.js';
import { calendarForChange } from '../compose/calendar.js';
import { composeCveRequest } from '../compose/cve-request.js';
import { mergeLetters } from '../compose/merge.js';
import { silentFixLetters } from '../compose/silent-fix.js';
import { mixedEntity } from '../compose/relay.js';
import { mergeInto } from '../commands/merge.js';
import { fixesBeforeDisclosure } from '../commands/silent-fix.js';
import { incidentNotice } from '../commands/incident.js';
import { incidentNoticeLetters } from '../compose/incident.js';
import { stateWord } from '../cases/kind.js';
import { recordIncidentNotice } from '../store/notices.js';
import { authenticate } from '../commands/authorize.js';
import { formatUtc } from '../commands/embargo.js';
import { parseCommands, teamKeywords, type CommandLine } from '../commands/grammar.js';
import { helpText } from '../commands/help.js';
import { handlers, mayUse, parseExpert, settleSchedule, type Actor, type KeyPick, type KeywordEnv } from '../commands/keywords.js';
import { advisoryPreview, validateAdvisoryYaml } from '../commands/advisory-check.js';
import { instanceTemplates } from '../advisories/templates.js';
import { projectRegistry } from '../identity/projects.js';
import { mayAnswer } from './answers.js';
import { isProjectKeyword, projectTeamCommands } from './project-commands.js';
import { addToCase, openCaseFor } from './case-mail.js';
import { finishSpooled } from './finish.js';
import { attachedKeys } from './learn-keys.js';
import { clockSlackMs, type Understood } from './understood.js';

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

/** An authenticated signer: the key that signed, and the identity of what it signed. */
interface Signer {
  key: openpgp.PublicKey;
  fingerprint: string;
  digest: string;
}

/**
 * The answer to an authenticated signer, encrypted to the key that signed the command. When that
 * key cannot encrypt, the answer says only that (and how to fix it): results echo command lines
 * (titles, dates, CVEs) and never travel in clear. Not rate-limited: the signer is authenticated.
 */
async function answer(ctx: Pick<Vmtd, 'config' | 'db' | 'sealer' | 'team' | 'clock'>, u: Understood, to: string, signer: Signer, caseId: string | null, subject: string, text: string): Promise<OutgoingMail[]> {
  if (u.row.envelope.mailFrom === '') return [];
  const problem = (await describeKey(signer.key, ctx.clock())).encryptionProblem;
  const threading = u.headers.messageId ? { inReplyTo: u.headers.messageId, references: [u.headers.messageId] } : {};
  if (problem) {
    return [
      await composeLetter(ctx, {
        to,
        caseId: null,
        kind: 'answer',
        subject: 'vmtd: your answer could not be encrypted',
        text: [
          `vmtd received your signed command message (key ${signer.fingerprint}),`,
          `but your key cannot receive encrypted mail: ${problem}.`,
          'Answers carry case details and are never sent in clear.',
          '',
          'Give your key a valid encryption subkey (or renew it), send the public key to',
          'the team, and ask again (X-STATUS).',
        ].join('\n'),
        ...threading,
        autoSubmitted: 'auto-replied',
      }),
    ];
  }
  return [await composeLetter(ctx, { to, key: signer.key, caseId, kind: 'answer', subject, text, ...threading, autoSubmitted: 'auto-replied' })];
}

/**
 * Records a refusal: the answer (if any) is queued and the message is done; nothing else changes.
 * An authenticated signer's refusal is recorded as seen (it cannot be sent again) and answered
 * encrypted; an unauthenticated sender (the From may be forged) gets the reason in clear, which
 * names only the rule, rate-limited and never to `<>`.
 */
async function refuse(ctx: Pick<Vmtd, 'config' | 'db' | 'sealer' | 'team' | 'clock' | 'log'>, u: Understood, caseId: string | null, reason: string, signer?: Signer): Promise<void> {
  const text = `Your command message was refused: ${reason}.\n\nNothing was changed.`;
  const mails = signer
    ? await answer(ctx, u, u.headers.from!, signer, null, 'Your commands were refused', text)
    : mayAnswer(ctx, u)
      ? [await composeLetter(ctx, { to: u.sender!, caseId: null, kind: 'answer', subject: 'Your commands were refused', text, ...(u.headers.messageId ? { inReplyTo: u.headers.messageId } : {}), autoSubmitted: 'auto-replied' })]
      : [];
  const at = iso(ctx.clock());
  ctx.db.transaction(() => {
    if (caseId) addEvent(ctx.db, caseId, at, u.sender ?? 'unknown', 'command-refused', { reason, spool: u.row.id });
    if (signer) recordCommand(ctx.db, signer.digest, caseId, 'refused', u.row.id, at);
    for (const m of mails) enqueue(ctx.db, m, at);
    finishSpooled(ctx, u, 'refused', null, at, reason);
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

/**
 * The key each X-ADD-EXPERT line may pin, decided before the handlers run. In order: the
 * fingerprint the line names (attached, or in the keyring from any source: the coordinator vouches
 * for it by naming it); a key attached to this signed message whose self-certified user IDs carry
 * the address; a configured or imported key carrying it. A key only ever learned from
 * unauthenticated mail is never picked: the line fails and says how to vouch for it.
 */
async function expertKeys(ctx: Pick<Vmtd, 'keyring' | 'clock'>, lines: CommandLine[], attached: openpgp.PublicKey[]): Promise<Map<string, KeyPick>> {
  const now = ctx.clock();
  const usable = async (k: openpgp.PublicKey): Promise<string | null> => (await describeKey(k, now)).encryptionProblem;
  const picks = new Map<string, KeyPick>();
  const adds = lines.filter((x) => x.keyword === 'ADD-EXPERT');
  // A key imported by `vmtd keys import` since this process read the keyring counts at once.
  if (adds.length > 0) await ctx.keyring.reload(now);
  for (const l of adds) {
    const { email, fingerprint } = parseExpert(l.args);
    if (!email) continue;
    let pick: KeyPick | undefined;
    if (fingerprint) {
      const k = attached.find((a) => fingerprintOf(a) === fingerprint) ?? ctx.keyring.byFingerprint(fingerprint);
      const problem = k ? await usable(k) : 'no such key: attach it or import it first';
      pick = problem
        ? { ok: false, reason: `key ${fingerprint}: ${problem}` }
        : { ok: true, fingerprint, ...((await certifiedEmailsOf(k!, now)).includes(email) ? {} : { note: `the key's user IDs do not carry ${email}; pinned because you named it` }) };
    } else {
      for (const k of [...(await Promise.all(attached.map(async (a) => ((await certifiedEmailsOf(a, now)).includes(email) ? a : null)))).filter((a): a is openpgp.PublicKey => !!a), ...ctx.keyring.keysFor(email, { trustedOnly: true })]) {
        const problem = await usable(k);
        if (!problem) {
          pick = { ok: true, fingerprint: fingerprintOf(k) };
          break;
        }
        pick ??= { ok: false, reason: `the key for ${email} cannot encrypt (${problem}): attach a usable one` };
      }
      if (!pick) {
        pick = ctx.keyring.keysFor(email, { trustedOnly: false }).length > 0
          ? { ok: false, reason: `the only keys known for ${email} came in unauthenticated mail: attach the key to this signed message, or name its fingerprint (X-ADD-EXPERT: ${email} FINGERPRINT)` }
          : { ok: false, reason: `no key for ${email}: attach it to this message, name its fingerprint, or import it (vmtd keys import)` };
      }
    }
    picks.set(email, pick);
  }
  return picks;
}

function statusText(d: CaseRecord): string {
  const kind = d.kind ?? 'vulnerability';
  return [
    `Case ${d.id}: ${kind === 'incident' ? 'incident, ' : ''}${stateWord(kind, d.state)}${d.class ? `, class ${d.class}` : ''}${d.severity ? `, severity ${d.severity}` : ''}`,
    `Embargo:   ${d.embargo ? formatUtc(new Date(d.embargo)) : 'none'}`,
    `CVEs:      ${d.cves.join(', ') || 'none'}`,
    `Projects:  ${Object.entries(d.projects).map(([p, s]) => `${p} (${s})`).join(', ') || 'none'}`,
    `Notify:    ${d.stakeholders.join(', ') || 'none'}`,
    `Advisory:  ${d.advisory ? `revision ${d.advisory.revision}, ${d.advisory.state}` : 'none'}`,
    `Credits:   ${d.credits.map((c) => `${c.text} (${c.type.toLowerCase().replace(/_/g, ' ')})`).join('; ') || 'none'}`,
    `Members:   ${d.members.length}`,
  ].join('\n');
}

/**
 * Handles a command message: authenticates the signature (good, by a key valid now, From one of
 * its self-certified user IDs, fresh, never received before), finds the signer's pinned
 * membership of the case it was sent to, binds it to that case (X-CASE), authorizes every keyword
 * for the signer's role, applies all of them in one transaction or none, answers the signer, and
 * relays the results and the comment to the other members. Every authenticated command message is
 * recorded with its outcome (applied, failed, refused), so none is ever taken twice.
 */
export async function handleCommandMessage(ctx: Omit<Vmtd, 'verpKey'>, u: Understood, caseId: string | undefined): Promise<void> {
  const now = ctx.clock();
  const { lines, comment } = parseCommands(u.content.text ?? '');
  const check = u.decoded.signature;
  const signerKey = check.signer ? ctx.keyring.byFingerprint(check.signer) : undefined;
  const auth = authenticate(
    {
      check,
      signerEmails: check.signer ? ctx.keyring.emailsOf(check.signer) : [],
      from: u.headers.from,
      alreadySeen: check.digest ? commandSeen(ctx.db, check.digest) : false,
      signerProblemNow: signerKey ? await signingProblem(signerKey, now) : null,
    },
    now,
    ctx.config.policy.commandMaxAgeHours,
    clockSlackMs,
  );
  if (!auth.ok) return refuse(ctx, u, null, auth.reason);
  const signer: Signer = { key: signerKey!, fingerprint: auth.signer, digest: auth.digest };
  const from = u.headers.from!;

  const isTeam = lines.every((l) => teamKeywords.includes(l.keyword));
  if (isTeam && lines[0]?.keyword !== 'CASE') return teamCommands(ctx, u, lines, comment, signer);
  if (lines[0]?.keyword !== 'CASE') return refuse(ctx, u, null, 'a case command message must start with X-CASE: CASE-ID', signer);
  const named = lines[0].args.toUpperCase();
  const before = caseId ? loadCaseRecord(ctx.db, ctx.sealer, caseId) : undefined;
  const member = before?.members.find((m) => m.pinned && m.fingerprint === signer.fingerprint);
  // One answer whether the case does not exist or the signer is no member of it: no existence oracle.
  if (!before || !member) return refuse(ctx, u, null, `your key is not the pinned key of a member of case ${named} (or there is no such case); case commands go to the case's own address`, signer);
  if (named !== before.id) return refuse(ctx, u, before.id, `X-CASE: ${named} does not match the case this message was sent to`, signer);
  if (from !== member.email) return refuse(ctx, u, before.id, 'the From address is not the address of your membership', signer);
  const actor: Actor = { email: member.email, role: member.role, projectId: member.projectId };

  const forbidden = lines.filter((l) => !mayUse(actor.role, l.keyword) && l.keyword in handlers);
  if (forbidden.length > 0) return refuse(ctx, u, before.id, `as ${actor.role} you may not use ${forbidden.map((l) => `X-${l.keyword}`).join(', ')}`, signer);

  const id = before.id;
  const attached = await attachedKeys(u.content);
  const experts = await expertKeys(ctx, lines, attached);
  const env: KeywordEnv = {
    now,
    config: ctx.config,
    actor,
    keyFor: (email) => experts.get(email) ?? { ok: false, reason: `no key for ${email}` },
    configuredKey: (email) => ctx.people.get(email.toLowerCase()) ?? null,
    caseExists: (other) => !!loadCaseRecord(ctx.db, ctx.sealer, other),
    projects: projectRegistry(ctx.db, ctx.people),
    advisoryYaml: attachedYaml(u),
    patches: attachedPatches(u),
    validateAdvisory: validateAdvisoryYaml,
    overridden: lines.some((l) => l.keyword === 'EMBARGO-OVERRIDE' && l.args !== ''),
  };
  const after: CaseRecord = structuredClone(before);
  const results: LineResult[] = lines.map((l) => {
    const h = handlers[l.keyword];
    if (!h) return { line: l.line, ok: false, note: `unknown keyword X-${l.keyword} (send X-HELP to the team address for the list)` };
    const r = h(after, l.args, env);
    return r.ok ? { line: l.line, ok: true, ...(r.note ? { note: r.note } : {}) } : { line: l.line, ok: false, note: r.reason };
  });
  // An incident's X-NOTIFY sends its notice now, the comment being its text: without one it fails.
  const incident = results.every((r) => r.ok) ? incidentNotice(after, lines, comment) : null;
  if (incident && !incident.ok) results.splice(lines.findIndex((l) => l.line === incident.line), 1, { line: incident.line, ok: false, note: incident.reason });
  else if (incident?.ok && incident.stakeholders.length > 0) {
    const at = lines.findIndex((l) => l.keyword === 'NOTIFY');
    results[at] = { ...results[at]!, note: [results[at]!.note, `the incident notice (your comment) goes to ${incident.stakeholders.join(', ')} now, signed and encrypted`].filter(Boolean).join('; ') };
  }
  const applied = results.every((r) => r.ok);
  if (applied) settleSchedule(after);
  const wantsStatus = lines.some((l) => l.keyword === 'STATUS');
  const body = [`Results of your commands for case ${id}:`, '', resultsText(results, applied), ...(wantsStatus && applied ? ['', statusText(after)] : [])].join('\n');
  const answers = await answer(ctx, u, from, signer, id, `[${id}] command results`, body);
  const record = (at: string, outcome: CommandOutcome): void => recordCommand(ctx.db, signer.digest, id, outcome, u.row.id, at);
  if (!applied) {
    const at = iso(now);
    ctx.db.transaction(() => {
      addEvent(ctx.db, id, at, from, 'command-failed', { signer: signer.fingerprint, failed: results.filter((r) => !r.ok).length });
      record(at, 'failed');
      for (const m of answers) enqueue(ctx.db, m, at);
      finishSpooled(ctx, u, 'command', id, at);
    })();
    return;
  }
  const newMembers = after.members.filter((m) => !before.members.some((b) => b.email === m.email));
  // A key attached to a coordinator's signed message and pinned for a new expert is vouched for: imported.
  const vouched = attached.filter((k) => newMembers.some((m) => m.fingerprint === fingerprintOf(k)));
  if (vouched.length > 0) await ctx.keyring.add(vouched, 'import', iso(now));
  const eventLines = lines.filter((l) => l.keyword !== 'CASE').map((l) => `${from} ${l.keyword === 'STATUS' ? 'asked for the status' : `sent ${privateArgs.includes(l.keyword) ? `X-${l.keyword}` : l.line}`}`);
  const patchNames = after.newPatches.map((p) => p.name);
  const preview = after.newAdvisoryYaml
    ? ['', `Preview of advisory revision ${after.advisory!.revision} (approve it with X-APPROVE):`, ...(patchNames.length > 0 ? [`Patches for review, attached: ${patchNames.join(', ')}`] : []), '', advisoryPreview(after.newAdvisoryYaml, instanceTemplates(ctx.config).advisory)]
    : [];
  const kindNow = after.kind ?? 'vulnerability';
  const summary = [...eventLines, ...(after.state !== before.state ? [`The case is now ${stateWord(kindNow, after.state)}.`] : []), ...(comment ? ['', comment] : []), ...preview].join('\n');
  // The patches of a new advisory revision travel with its preview to every member who reviews it
  // (the same encrypted relay as any case message), not only to stakeholders at notice time.
  const content = patchNames.length > 0 ? mixedEntity([textEntity(summary), ...after.newPatches.map((p) => attachmentEntity(p.name, 'text/x-diff', p.content))]) : textEntity(summary);
  const relayed = { ...u, subject: `[${id}] update by ${from}`, decoded: { ...u.decoded, content } };
  const merge = after.mergedInto && after.mergedInto !== before.mergedInto ? await mergePlan(ctx, after, after.mergedInto, from) : null;
  const calendar = await calendarForChange(ctx, id, after, before);
  // X-CVE-REQUEST: the request to the CNA goes out with the command, its event in the same transaction
  const cveRequest = lines.some((l) => l.keyword === 'CVE-REQUEST') ? await composeCveRequest(ctx, after, after.newAdvisoryYaml) : null;
  // No silent fixes: a project set fixed before disclosure alerts the coordinators and asks the project
  const fixes = fixesBeforeDisclosure(before, after, lines);
  const silentFix = await silentFixLetters(ctx, after, fixes, from);
  const notices = incident?.ok && incident.stakeholders.length > 0 ? await incidentNoticeLetters(ctx, after, incident.stakeholders, comment) : null;
  await addToCase(ctx, relayed, id, 'command', {
    extra: [...answers, ...(merge?.mails ?? []), ...calendar.mails, ...(cveRequest?.mails ?? []), ...silentFix, ...(notices?.mails ?? [])],
    members: after.members,
    apply: (at) => {
      saveCaseRecord(ctx.db, ctx.sealer, before, after, at, from);
      record(at, 'applied');
      for (const l of lines) {
        addEvent(ctx.db, id, at, from, 'command', { keyword: l.keyword, ...(privateArgs.includes(l.keyword) ? {} : { args: l.args }), signer: signer.fingerprint, digest: signer.digest });
      }
      if (after.state !== before.state) addEvent(ctx.db, id, at, from, 'state', { from: before.state, to: after.state });
      if (kindNow !== (before.kind ?? 'vulnerability')) addEvent(ctx.db, id, at, from, 'kind', { from: before.kind ?? 'vulnerability', to: kindNow });
      for (const n of notices?.sent ?? []) recordIncidentNotice(ctx.db, { caseId: id, stakeholder: n.stakeholder, embargo: n.embargo, digest: signer.digest }, at);
      if (notices) addEvent(ctx.db, id, at, 'vmtd', 'incident-notice', { sent: notices.sent.map((n) => n.stakeholder), ...(notices.missing.length > 0 ? { notSent: notices.missing.map((m) => m.stakeholder) } : {}) });
      if (calendar.event) addEvent(ctx.db, id, at, 'vmtd', 'calendar', calendar.event);
      merge?.apply(at);
      if (cveRequest) addEvent(ctx.db, id, at, from, 'cve-requested', cveRequest.event);
      for (const f of fixes) addEvent(ctx.db, id, at, 'vmtd', 'fix-before-disclosure', { project: f.projectId, ...(f.version ? { version: f.version } : {}) });
    },
  });
}

/**
 * X-MERGE beyond marking the duplicate: its reporters join the target case (mergeInto, pure), in
 * the same transaction as the command, and the letters of the merge (compose/merge.ts) go out with it.
 */
async function mergePlan(ctx: Omit<Vmtd, 'verpKey' | 'log' | 'crypto'>, duplicate: CaseRecord, targetId: string, by: string): Promise<{ mails: OutgoingMail[]; apply: (at: string) => void } | null> {
  const before = loadCaseRecord(ctx.db, ctx.sealer, targetId);
  if (!before) return null;
  const { target, added, credited } = mergeInto(before, duplicate);
  const reporters = duplicate.members.filter((m) => m.role === 'reporter');
  const mails = await mergeLetters(ctx, { duplicate: duplicate.id, target: target.id, by, added, reporters, credited, targetMembers: before.members.filter((m) => !reporters.some((r) => r.email === m.email)) });
  return {
    mails,
    apply: (at) => {
      saveCaseRecord(ctx.db, ctx.sealer, before, target, at, by);
      addEvent(ctx.db, target.id, at, by, 'merged', { duplicate: duplicate.id, members: added.map((m) => m.email), credits: credited.length });
      for (const m of added.filter((x) => x.pinned)) addEvent(ctx.db, target.id, at, 'vmtd', 'key-pinned', { member: m.email, fingerprint: m.fingerprint, from: duplicate.id });
    },
  };
}

/** Team commands (to the intake address, no X-CASE): X-HELP for any authenticated signer, the rest for coordinators by their configured key. */
async function teamCommands(ctx: Omit<Vmtd, 'verpKey'>, u: Understood, lines: CommandLine[], comment: string, signer: Signer): Promise<void> {
  const from = u.headers.from!;
  const isCoordinator = ctx.config.coordinators.some((c) => c.email.toLowerCase() === from) && ctx.people.get(from) === signer.fingerprint;
  const needsCoordinator = lines.filter((l) => l.keyword !== 'HELP');
  if (needsCoordinator.length > 0 && !isCoordinator) return refuse(ctx, u, null, `only coordinators may use ${needsCoordinator.map((l) => `X-${l.keyword}`).join(', ')}`, signer);
  const open = lines.find((l) => l.keyword === 'OPEN');
  const parts: string[] = [];
  if (lines.some((l) => l.keyword === 'HELP')) parts.push(helpText);
  if (lines.some((l) => l.keyword === 'LIST-CASES')) {
    const cases = caseList(ctx.db, ctx.sealer).filter((c) => isOpen(c.state as Parameters<typeof isOpen>[0]));
    parts.push(cases.length === 0 ? 'No open cases.' : ['Open cases:', ...cases.map((c) => `  ${c.id}  ${c.stateWord.padEnd(9)}  ${c.kind === 'incident' ? 'incident  ' : ''}${c.embargo ? `embargo ${formatUtc(new Date(c.embargo))}` : 'no embargo'}  ${c.title}`)].join('\n'));
  }
  if (lines.some((l) => isProjectKeyword(l.keyword))) {
    return projectTeamCommands(ctx, u, lines, parts, { digest: signer.digest, signer: signer.fingerprint, answer: (subject, text) => answer(ctx, u, from, signer, null, subject, text), refuse: (reason) => refuse(ctx, u, null, reason, signer) });
  }
  if (open) {
    if (!open.args) return refuse(ctx, u, null, 'X-OPEN needs a title', signer);
    const report = { ...u, decoded: { ...u.decoded, content: textEntity(comment || '(no text)') } };
    return openCaseFor(ctx, report, {
      title: open.args,
      answer: async (caseId) => answer(ctx, u, from, signer, caseId, `[${caseId}] opened`, [`Case ${caseId} is open; its address is the Reply-To of this mail.`, ...parts].join('\n\n')),
      apply: (caseId, at) => recordCommand(ctx.db, signer.digest, caseId, 'applied', u.row.id, at),
    });
  }
  const mails = await answer(ctx, u, from, signer, null, 'vmtd: results of your commands', parts.join('\n\n'));
  const at = iso(ctx.clock());
  ctx.db.transaction(() => {
    recordCommand(ctx.db, signer.digest, null, 'applied', u.row.id, at);
    for (const m of mails) enqueue(ctx.db, m, at);
    finishSpooled(ctx, u, 'command', null, at);
  })();
}
