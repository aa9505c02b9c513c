import { iso } from '../clock.js';
import type { Vmtd } from '../context.js';
import { parseRecipient, subjectCaseIds, type Recipient } from '../mail/addresses.js';
import { protectedSubject, readHeaders, unreadableHeaders, type MailHeaders } from '../mail/headers.js';
import { decodeMessage, type DecodeKeys } from '../pgp/decode.js';
import { sliceReadable } from '../pgp/streams.js';
import { readContent, type MessageContent } from '../mail/content.js';
import { caseOfMessageId, getCase } from '../store/cases.js';
import { payloadSightings } from '../store/seen.js';
import { markSpoolDone, type SpoolRow } from '../store/spool.js';
import { handleBounce } from '../outbound/bounce.js';
import { isCommandMessage } from '../commands/grammar.js';
import { isOwnAddress } from './answers.js';
import { addToCase, openCaseFor, recordAutomatic, recordResend } from './case-mail.js';
import { handleCommandMessage } from './command-message.js';
import { offeredKeys } from './learn-keys.js';
import { quarantine } from './quarantine.js';
import { judgeReplay } from './replay.js';
import { findCase } from './route.js';
import { clockSlackMs, type Understood } from './understood.js';

export { CaseIdRace } from './case-mail.js';

function decodeKeys(ctx: Vmtd): DecodeKeys {
  return { decryption: [ctx.team.privateKey], verification: ctx.keyring.all(), date: new Date(ctx.clock().getTime() + clockSlackMs) };
}

/** A parser's error message, short: they name limits and structures, never content. */
function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 120);
}

/**
 * Processes one spooled message to its outcome, stage by stage: header → bounce → loop guard →
 * decode → learn keys → route → replay guard → command | automatic | case message | new case.
 * Each outcome (a bounce recorded, a quarantine with a reason, a command answered, a message
 * relayed, a case opened) is applied with every resulting mail in one transaction that marks the
 * spool row done. Safe to repeat after a crash.
 */
export async function processSpooled(ctx: Vmtd, row: SpoolRow): Promise<void> {
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
  if (bounce && bounce.kind === 'bounce') return handleBounce(ctx, row, bounce.outboxId, bounce.token);

  if (headers.from && isOwnAddress(ctx, headers.from)) {
    ctx.db.transaction(() => markSpoolDone(ctx.db, row.id, 'junk', null, iso(ctx.clock())))();
    ctx.log.info({ spool: row.id }, 'mail from our own address dropped (loop guard)');
    return;
  }

  const result = await decodeMessage(row.raw, decodeKeys(ctx));
  if (!result.ok) return quarantine(ctx, row, headers, result.reason);
  let decoded = result.decoded;
  let content: MessageContent;
  try {
    // Fed in slices: parsing a large attachment in one go would hold the event loop.
    content = await readContent(sliceReadable(decoded.content));
  } catch (err) {
    // Our splitter's limits passed it, but the content parser refuses it (e.g. more nodes than it
    // allows once message/rfc822 parts are opened): malformed input, not an internal error.
    return quarantine(ctx, row, headers, `malformed MIME structure (${firstLine(err)})`);
  }
  const sender = headers.from ?? (row.envelope.mailFrom ? row.envelope.mailFrom.toLowerCase() : null);
  if (sender) {
    // Learned keys serve to encrypt to their sender; they never become a configured person's key.
    const learned = await ctx.keyring.add(await offeredKeys(sender, content, headers.autocrypt, ctx.clock()), 'mail', iso(ctx.clock()));
    // A message signed by the key it carries: judge the signature again now that the key is known.
    if (learned.length > 0 && decoded.signature.state === 'unknown-key') {
      const again = await decodeMessage(row.raw, decodeKeys(ctx));
      if (again.ok) decoded = { ...again.decoded, payloadIds: decoded.payloadIds };
    }
  }
  // From here on only the decoded message is used; the raw one (perhaps tens of megabytes, and
  // sealed in the spool) is let go before the relay is composed, unless the decoded content is it.
  if (decoded.content.buffer !== row.raw.buffer) row.raw = Buffer.alloc(0);
  const u: Understood = { row, headers, recipients, decoded, content, subject: protectedSubject(decoded.content) ?? headers.subject, sender };
  const caseId = findCase(
    { recipients, subjectIds: subjectCaseIds(i.caseIdPrefix, u.subject + ' ' + headers.subject), messageIds: [...headers.inReplyTo, ...[...headers.references].reverse()] },
    (id) => !!getCase(ctx.db, ctx.sealer, id),
    (mid) => caseOfMessageId(ctx.db, mid),
  );

  const isCommand = isCommandMessage({ text: content.text ?? '', signed: decoded.signature.state !== 'unsigned', toIntake: !recipients.some((r) => r.kind === 'case') });
  const replay = judgeReplay(payloadSightings(ctx.db, decoded.payloadIds), sender, caseId);
  if (replay.kind === 'replay') {
    // Decrypting it here would relay someone else's ciphertext to this case's members (an oracle).
    return quarantine(ctx, row, headers, `replayed ciphertext: an encrypted payload first received in spool #${replay.firstSpool} arrived from another sender or for another case`, { answerSender: false });
  }
  if (isCommand) return handleCommandMessage(ctx, u, caseId);
  if (replay.kind === 'resend') return recordResend(ctx, u, replay.caseId);
  if (headers.automatic) {
    if (caseId) return recordAutomatic(ctx, u, caseId);
    return quarantine(ctx, row, headers, 'automatic message (auto-reply, list or delivery report) for no case: no case opened', { alert: false, answerSender: false });
  }
  if (caseId) return addToCase(ctx, u, caseId, 'reply');
  return openCaseFor(ctx, u);
}
