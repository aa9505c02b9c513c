import { iso } from '../clock.js';
import { dataFiles, type Vmtd } from '../context.js';
import { storeSealed, type Stored } from '../store/blob-files.js';
import { planRelay, type Inbound } from '../cases/relay.js';
import { caseAddress, intakeAddress, parseRecipient, subjectCaseIds, type Recipient } from '../mail/addresses.js';
import { protectedSubject, readHeaders, unreadableHeaders, type MailHeaders } from '../mail/headers.js';
import { decodeMessage, type Decoded, type DecodeKeys } from '../pgp/decode.js';
import { sliceReadable } from '../pgp/streams.js';
import { readContent, type MessageContent } from '../mail/content.js';
import { caseOfMessageId, getCase, insertCase, insertMessage, membersOf, peekCaseId, takeCaseId, upsertMember, type Member } from '../store/cases.js';
import { addEvent } from '../store/events.js';
import { countAnswersTo, enqueue, type OutgoingMail } from '../store/outbox.js';
import { markSpoolDone, quarantineSpool, type SpoolRow } from '../store/spool.js';
import { composeLetter, lettersToCoordinators } from '../outbound/letters.js';
import { usableKey } from '../outbound/usable-key.js';
import { handleBounce } from '../outbound/bounce.js';
import { handleCommandMessage } from '../commands/intake.js';
import { looksLikeCommands } from '../commands/grammar.js';
import { offeredKeys } from './learn-keys.js';
import { findCase, namedProjects } from './route.js';

/** A message as the pipeline understands it once decoded. */
export interface Understood {
  row: SpoolRow;
  headers: MailHeaders;
  recipients: Recipient[];
  decoded: Decoded;
  content: MessageContent;
  /** Protected subject when present, else the outer one. */
  subject: string;
  /** The sender's address: From, else the envelope sender. */
  sender: string | null;
}

/** Signature dates are judged with 5 minutes of slack for clocks that run ahead. */
export const clockSlackMs = 5 * 60 * 1000;

class CaseIdRace extends Error {}

function decodeKeys(ctx: Vmtd): DecodeKeys {
  return { decryption: [ctx.team.privateKey], verification: ctx.keyring.all(), date: new Date(ctx.clock().getTime() + clockSlackMs) };
}

/** The inbound message as members see it relayed. */
export function inboundOf(u: Understood): Inbound {
  return { from: u.sender, fromName: u.headers.fromName, subject: u.subject, messageId: u.headers.messageId, decoded: u.decoded };
}

/** Whether an automatic answer to this message is allowed (RFC 3834; never to <> or to ourselves). */
export function mayAnswer(ctx: Vmtd, u: Understood): boolean {
  if (u.headers.automatic || !u.row.envelope.mailFrom || !u.sender) return false;
  const i = ctx.config.instance;
  const own = u.sender.endsWith(`@${i.domain.toLowerCase()}`) && u.sender.startsWith(i.intake.toLowerCase());
  if (own) return false;
  return withinAnswerRate(ctx, u.sender);
}

/** Whether one more automatic answer to this address stays within policy.ackPerSenderPerHour. */
export function withinAnswerRate(ctx: Vmtd, address: string): boolean {
  const since = iso(new Date(ctx.clock().getTime() - 3600_000));
  return countAnswersTo(ctx.db, address, since) < ctx.config.policy.ackPerSenderPerHour;
}

/**
 * Processes one spooled message to its outcome: a bounce recorded, a quarantine with a reason,
 * a command applied, a new case, or a message added to a case, with every resulting mail queued
 * in the same transaction that marks the spool row done. Safe to repeat after a crash.
 */
export async function processSpooled(ctx: Vmtd, row: SpoolRow): Promise<void> {
  // Note: row.raw is emptied once the message is decoded (see below); the spool keeps it.
  const i = ctx.config.instance;
  let headers: MailHeaders;
  try {
    headers = await readHeaders(row.raw);
  } catch (err) {
    // e.g. a header block over the parser's 1 MB limit: malformed input, quarantined, never answered.
    return quarantine(ctx, row, unreadableHeaders, `malformed header (${firstLine(err)})`);
  }
  const recipients = row.envelope.rcptTo.map((r) => parseRecipient(i, r)).filter((r): r is Recipient => !!r);
  const bounce = recipients.find((r) => r.kind === 'bounce');
  if (bounce && bounce.kind === 'bounce') return handleBounce(ctx, row, bounce.outboxId);

  const own = intakeAddress(i);
  if (headers.from === own) {
    ctx.db.transaction(() => markSpoolDone(ctx.db, row.id, 'junk', null, iso(ctx.clock())))();
    ctx.log.info({ spool: row.id }, 'mail from our own address dropped (loop guard)');
    return;
  }

  const result = await decodeMessage(row.raw, decodeKeys(ctx));
  if (!result.ok) return quarantine(ctx, row, headers, result.reason);

  let decoded = result.decoded;
  // Fed in slices: parsing a large attachment in one go would hold the event loop.
  let content: MessageContent;
  try {
    content = await readContent(sliceReadable(decoded.content));
  } catch (err) {
    // Our splitter's limits passed it, but the content parser refuses it (e.g. more nodes than it
    // allows once message/rfc822 parts are opened): malformed input, not an internal error.
    return quarantine(ctx, row, headers, `malformed MIME structure (${firstLine(err)})`);
  }
  const sender = headers.from ?? (row.envelope.mailFrom ? row.envelope.mailFrom.toLowerCase() : null);
  if (sender) {
    const learned = await ctx.keyring.add(await offeredKeys(sender, content, headers.autocrypt), 'mail', iso(ctx.clock()));
    // A message signed by the key it carries: judge the signature again now that the key is known.
    if (learned.length > 0 && decoded.signature.state === 'unknown-key') {
      const again = await decodeMessage(row.raw, decodeKeys(ctx));
      if (again.ok) decoded = again.decoded;
    }
  }
  // From here on only the decoded message is used; the raw one (perhaps tens of megabytes, and
  // sealed in the spool) is let go before the relay is composed, unless the decoded content is it.
  if (decoded.content.buffer !== row.raw.buffer) row.raw = Buffer.alloc(0);
  const u: Understood = {
    row,
    headers,
    recipients,
    decoded,
    content,
    subject: protectedSubject(decoded.content) ?? headers.subject,
    sender,
  };
  const refs = {
    recipients,
    subjectIds: subjectCaseIds(i.caseIdPrefix, u.subject + ' ' + headers.subject),
    messageIds: [...headers.inReplyTo, ...[...headers.references].reverse()],
  };
  const caseId = findCase(refs, (id) => !!getCase(ctx.db, ctx.sealer, id), (mid) => caseOfMessageId(ctx.db, mid));

  if (looksLikeCommands(content.text ?? '')) return handleCommandMessage(ctx, u, caseId);
  if (caseId) return addToCase(ctx, u, caseId, 'reply');
  return openCaseFor(ctx, u);
}

async function quarantine(ctx: Vmtd, row: SpoolRow, headers: MailHeaders, reason: string): Promise<void> {
  const i = ctx.config.instance;
  const alerts = await lettersToCoordinators(ctx, {
    caseId: null,
    kind: 'alert',
    subject: `vmtd: message ${row.id} quarantined`,
    text: [
      `A message to ${intakeAddress(i)} could not be processed and is quarantined.`,
      '',
      `  spool id:        ${row.id}`,
      `  received:        ${row.receivedAt}`,
      `  envelope sender: ${row.envelope.mailFrom || '<>'}`,
      `  reason:          ${reason}`,
      '',
      'Its content stays sealed in the spool; nothing of it was relayed.',
    ].join('\n'),
    autoSubmitted: 'auto-generated',
  });
  const sender = headers.from;
  const replies: OutgoingMail[] = [];
  if (sender && row.envelope.mailFrom && !headers.automatic) {
    if (withinAnswerRate(ctx, sender)) {
      replies.push(
        await composeLetter(ctx, {
          to: sender,
          caseId: null,
          kind: 'ack',
          subject: 'Your message to the security team could not be read',
          text: [
            `Your message to ${intakeAddress(i)} reached us but could not be processed`,
            `(${publicReason(reason)}). Nothing of it was read or passed on.`,
            '',
            `Please send it again, encrypted to the team key ${ctx.team.fingerprint}.`,
          ].join('\n'),
          ...(headers.messageId ? { inReplyTo: headers.messageId } : {}),
          autoSubmitted: 'auto-replied',
        }),
      );
    }
  }
  const at = iso(ctx.clock());
  ctx.db.transaction(() => {
    quarantineSpool(ctx.db, row.id, reason, at);
    addEvent(ctx.db, null, at, 'vmtd', 'quarantined', { spool: row.id, reason });
    for (const m of [...alerts, ...replies]) enqueue(ctx.db, m, at);
  })();
  ctx.log.warn({ spool: row.id, reason }, 'message quarantined');
}

/** A parser's error message, short: they name limits and structures, never content. */
function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 120);
}

/** The reason as told to the sender: the kind of failure only. */
function publicReason(reason: string): string {
  if (/not the team key/.test(reason)) return 'it was encrypted to a key that is not the team key';
  if (/armor|packets/.test(reason)) return 'its OpenPGP data is damaged';
  if (/decrypt/.test(reason)) return 'it could not be decrypted';
  if (/policy/.test(reason)) return reason;
  return 'its structure is malformed';
}

async function memberFor(ctx: Vmtd, email: string, name: string | null, role: Member['role'], projectId: string | null): Promise<Member> {
  const lookup = await usableKey(ctx, email, null);
  return { email: email.toLowerCase(), name, role, projectId, fingerprint: lookup.ok ? lookup.key.getFingerprint().toUpperCase() : (ctx.keyring.forEmail(email)?.getFingerprint().toUpperCase() ?? null) };
}

/** How a coordinator's X-OPEN differs from a report: its title, and an answer instead of an ack. */
export interface OpenedByCoordinator {
  title: string;
  answer: (caseId: string) => Promise<OutgoingMail[]>;
}

/** Opens a case for a report (or a coordinator's X-OPEN) and relays it to the new case's members. */
export async function openCaseFor(ctx: Vmtd, u: Understood, opened?: OpenedByCoordinator): Promise<void> {
  const i = ctx.config.instance;
  if (ctx.config.policy.requireEncryptedReports && !u.decoded.encrypted) {
    return quarantine(ctx, u.row, u.headers, 'unencrypted report refused by policy (requireEncryptedReports)');
  }
  const now = ctx.clock();
  const at = iso(now);
  const year = now.getUTCFullYear();
  const caseId = peekCaseId(ctx.db, i.caseIdPrefix, year);

  const members: Member[] = [];
  for (const c of ctx.config.coordinators) members.push(await memberFor(ctx, c.email, c.name, 'coordinator', null));
  const reporter = opened ? null : u.sender;
  if (reporter && !members.some((m) => m.email === reporter)) members.push(await memberFor(ctx, reporter, u.headers.fromName, 'reporter', null));
  const projects = namedProjects(u.content.text ?? '', ctx.config.projects.map((p) => p.id));
  for (const pid of projects) {
    for (const c of ctx.config.projects.find((p) => p.id === pid)!.contacts) {
      if (!members.some((m) => m.email === c.email.toLowerCase())) members.push(await memberFor(ctx, c.email, c.name, 'project-contact', pid));
    }
  }

  const relay = await planRelay(ctx, caseId, members, inboundOf(u), null);
  const content = await sealedContent(ctx, u);
  const mails = [...relay.mails];
  if (opened) mails.push(...(await opened.answer(caseId)));
  else if (mayAnswer(ctx, u) && u.sender) mails.push(await acknowledgement(ctx, u, caseId));

  ctx.db.transaction(() => {
    const taken = takeCaseId(ctx.db, i.caseIdPrefix, year);
    if (taken !== caseId) throw new CaseIdRace(`case id ${caseId} was taken meanwhile`);
    insertCase(ctx.db, ctx.sealer, { id: caseId, title: opened?.title ?? (u.subject || '(no subject)'), reporter, at });
    for (const m of members) upsertMember(ctx.db, caseId, m, at);
    for (const pid of projects) ctx.db.prepare('INSERT OR IGNORE INTO case_projects (case_id, project_id) VALUES (?, ?)').run(caseId, pid);
    const msg = storeMessage(ctx, u, content, caseId, opened ? 'command' : 'report');
    addEvent(ctx.db, caseId, at, u.sender ?? 'unknown', 'opened', { spool: u.row.id, encrypted: u.decoded.encrypted, signature: u.decoded.signature.state, projects });
    if (relay.skipped.length > 0) addEvent(ctx.db, caseId, at, 'vmtd', 'not-relayed', { members: relay.skipped });
    for (const m of mails) enqueue(ctx.db, { ...m, sourceMessage: m.kind === 'relay' ? msg : null }, at);
    markSpoolDone(ctx.db, u.row.id, 'report', caseId, at);
  })();
  ctx.log.info({ spool: u.row.id, case: caseId, relays: relay.mails.length }, 'case opened');
}

/** The message's content sealed, before the transaction that stores it (a large one goes to a file of its own). */
function sealedContent(ctx: Vmtd, u: Understood): Promise<Stored> {
  return storeSealed(ctx.sealer, dataFiles(ctx.config.instance.dataDir).blobs, u.decoded.content);
}

function storeMessage(ctx: Vmtd, u: Understood, content: Stored, caseId: string, kind: 'report' | 'reply' | 'command' | 'comment'): number {
  return insertMessage(ctx.db, {
    caseId,
    spoolId: u.row.id,
    messageId: u.headers.messageId,
    from: u.sender ?? '',
    receivedAt: u.row.receivedAt,
    encrypted: u.decoded.encrypted,
    signature: u.decoded.signature.state,
    signer: u.decoded.signature.signer ?? null,
    kind,
    content,
  });
}

export interface AddOptions {
  /** More mail to queue in the same transaction (e.g. a command's answer). */
  extra?: OutgoingMail[];
  /** Changes to apply in the same transaction, before the message is stored. */
  apply?: (at: string) => void;
  /** The members to relay to, when the message itself changes them. */
  members?: Member[];
}

/** Adds a message to an existing case and relays it to the other members, in one transaction. */
export async function addToCase(ctx: Vmtd, u: Understood, caseId: string, kind: 'reply' | 'command', opts: AddOptions = {}): Promise<void> {
  const at = iso(ctx.clock());
  const relay = await planRelay(ctx, caseId, opts.members ?? membersOf(ctx.db, caseId), inboundOf(u), null);
  const content = await sealedContent(ctx, u);
  ctx.db.transaction(() => {
    opts.apply?.(at);
    const msg = storeMessage(ctx, u, content, caseId, kind);
    addEvent(ctx.db, caseId, at, u.sender ?? 'unknown', 'message', { spool: u.row.id, signature: u.decoded.signature.state });
    if (relay.skipped.length > 0) addEvent(ctx.db, caseId, at, 'vmtd', 'not-relayed', { members: relay.skipped });
    for (const m of [...relay.mails, ...(opts.extra ?? [])]) enqueue(ctx.db, { ...m, sourceMessage: m.kind === 'relay' ? msg : null }, at);
    markSpoolDone(ctx.db, u.row.id, kind === 'command' ? 'command' : 'case-message', caseId, at);
  })();
  ctx.log.info({ spool: u.row.id, case: caseId, relays: relay.mails.length }, 'case message relayed');
}

async function acknowledgement(ctx: Vmtd, u: Understood, caseId: string): Promise<OutgoingMail> {
  const i = ctx.config.instance;
  const addr = caseAddress(i, caseId);
  const lookup = await usableKey(ctx, u.sender!, null);
  const text = [
    `Thank you. Your report reached the ${i.name} and is now case ${caseId}.`,
    '',
    `To add to it, reply to this mail or write to ${addr}`,
    `(or keep [${caseId}] in the subject).`,
    '',
    lookup.ok
      ? 'This answer is encrypted to your key; the team will use it for this case.'
      : `Please encrypt what you send to the team key ${ctx.team.fingerprint}`,
    lookup.ok ? '' : '(attach your own public key so that we can answer encrypted).',
    '',
    `-- ${i.name}`,
  ].join('\n');
  return composeLetter(ctx, {
    to: u.sender!,
    ...(lookup.ok ? { key: lookup.key } : {}),
    caseId,
    kind: 'ack',
    subject: `[${caseId}] Report received`,
    text,
    ...(u.headers.messageId ? { inReplyTo: u.headers.messageId, references: [u.headers.messageId] } : {}),
    autoSubmitted: 'auto-replied',
  });
}

export { CaseIdRace };
