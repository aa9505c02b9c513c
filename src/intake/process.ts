import { iso } from '../clock.js';
import type { Vmtd } from '../context.js';
import { parseRecipient, subjectCaseIds, type Recipient } from '../mail/addresses.js';
import { protectedSubject, readHeaders, unreadableHeaders, type MailHeaders } from '../mail/headers.js';
import { decodeMessage, type Decoded, type DecodeKeys } from '../pgp/decode.js';
import { stillHolds, type DecodedAhead } from '../pgp/crypto-pool.js';
import { readContent, type MessageContent } from '../mail/content.js';
import { caseOfMessageId, getCase } from '../store/cases.js';
import { payloadSightings } from '../store/seen.js';
import { markSpoolDone, type SpoolRow } from '../store/spool.js';
import { handleBounce } from '../outbound/bounce.js';
import { isCommandMessage } from '../commands/grammar.js';
import { isOwnAddress } from './answers.js';
import { addToCase, CaseIdRace, openCaseFor, recordAutomatic, recordResend } from './case-mail.js';
import { handleCommandMessage } from './command-message.js';
import { offeredKeys } from './learn-keys.js';
import { quarantine } from './quarantine.js';
import { judgeReplay, type ReplayVerdict } from './replay.js';
import { findCase } from './route.js';
import { clockSlackMs, type Understood } from './understood.js';
import { COLLECT_AFTER_BYTES, collectGarbageNow } from '../memory.js';

export { CaseIdRace } from './case-mail.js';

/** What the steps learn about one message, filled in as they go. */
interface Inbound {
  readonly ctx: Vmtd;
  readonly row: SpoolRow;
  /** The decode done ahead in a worker, if any (used when it still holds). */
  readonly ahead: DecodedAhead | null;
  readonly usedAhead: () => void;
  headers: MailHeaders;
  recipients: Recipient[];
  decoded: Decoded;
  content: MessageContent;
  sender: string | null;
  u: Understood;
  caseId: string | undefined;
  replay: ReplayVerdict;
}

/**
 * One stage of inbound handling, named for the log and for the reason of an internal error. It
 * either settles the message (returns `'done'`, having applied one outcome in one transaction)
 * or lets the next step go on.
 */
interface Step {
  name: string;
  run(m: Inbound): Promise<'done' | void>;
}

/** An internal error, with the step it happened in (the pipeline counts attempts and quarantines). */
export class StepError extends Error {
  constructor(
    readonly step: string,
    cause: unknown,
  ) {
    super(`in step ${step}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

function decodeKeys(ctx: Pick<Vmtd, 'keyring' | 'team' | 'clock'>): DecodeKeys {
  return { decryption: [ctx.team.privateKey], verification: ctx.keyring.all(), date: new Date(ctx.clock().getTime() + clockSlackMs) };
}

/** A parser's error message, short: they name limits and structures, never content. */
function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 120);
}

const done = 'done' as const;

/**
 * The inbound steps, in order, as Haraka's hooks or Schleuder's filters: the header is read;
 * bounces go to their handler; mail from our own addresses is dropped (loops); the OpenPGP layers
 * are removed; keys the sender offers are learned (to encrypt to them only); the case is found;
 * ciphertexts already seen elsewhere are set aside; then the message is a command, an automatic
 * message, a reply to a case or a new report.
 */
export const inboundSteps: readonly Step[] = [
  {
    name: 'header',
    async run(m) {
      try {
        // Read beside the decode ahead when there was one (the same function of the same bytes).
        m.headers = m.ahead?.headers ?? (await readHeaders(m.row.raw));
      } catch (err) {
        // e.g. a header block over the parser's 1 MB limit: malformed input, quarantined, never answered.
        await quarantine(m.ctx, m.row, unreadableHeaders, `malformed header (${firstLine(err)})`);
        return done;
      }
      m.recipients = m.row.envelope.rcptTo.map((r) => parseRecipient(m.ctx.config.instance, r)).filter((r): r is Recipient => !!r);
    },
  },
  {
    name: 'bounce',
    async run(m) {
      const bounce = m.recipients.find((r) => r.kind === 'bounce');
      if (!bounce || bounce.kind !== 'bounce') return;
      await handleBounce(m.ctx, m.row, bounce.outboxId, bounce.token);
      return done;
    },
  },
  {
    name: 'loop guard',
    async run(m) {
      if (!m.headers.from || !isOwnAddress(m.ctx, m.headers.from)) return;
      m.ctx.db.transaction(() => markSpoolDone(m.ctx.db, m.row.id, 'junk', null, iso(m.ctx.clock())))();
      m.ctx.log.info({ spool: m.row.id }, 'mail from our own address dropped (loop guard)');
      return done;
    },
  },
  {
    name: 'decode',
    async run(m) {
      const early = m.ahead && stillHolds(m.ahead, m.ctx.keyring, m.ctx.clock()) ? m.ahead.result : null;
      if (early) m.usedAhead();
      const result = early ?? (await decodeMessage(m.row.raw, decodeKeys(m.ctx)));
      if (!result.ok) {
        await quarantine(m.ctx, m.row, m.headers, result.reason);
        return done;
      }
      m.decoded = result.decoded;
      try {
        // Parsed in the worker beside a decode made ahead that still holds; else here, fed in
        // slices (parsing a large attachment in one go would hold the event loop); a large
        // attachment's body is left out before parsing (it is listed, truncated).
        m.content = (early && m.ahead?.content) || (await readContent(m.decoded.content));
      } catch (err) {
        // Our splitter's limits passed it, but the content parser refuses it (e.g. more nodes than
        // it allows once message/rfc822 parts are opened): malformed input, not an internal error.
        await quarantine(m.ctx, m.row, m.headers, `malformed MIME structure (${firstLine(err)})`);
        return done;
      }
      m.sender = m.headers.from ?? (m.row.envelope.mailFrom ? m.row.envelope.mailFrom.toLowerCase() : null);
    },
  },
  {
    name: 'learn keys',
    async run(m) {
      if (!m.sender) return;
      const ctx = m.ctx;
      // Learned keys serve to encrypt to their sender; they never become a configured person's key.
      const learned = await ctx.keyring.add(await offeredKeys(m.sender, m.content, m.headers.autocrypt, ctx.clock()), 'mail', iso(ctx.clock()));
      // A message signed by the key it carries: judge the signature again now that the key is known.
      if (learned.length > 0 && m.decoded.signature.state === 'unknown-key') {
        const again = await decodeMessage(m.row.raw, decodeKeys(ctx));
        if (again.ok) m.decoded = { ...again.decoded, payloadIds: m.decoded.payloadIds };
      }
    },
  },
  {
    name: 'route',
    async run(m) {
      const { ctx, row, headers, decoded } = m;
      // From here on only the decoded message is used; the raw one (perhaps tens of megabytes, and
      // sealed in the spool) is let go before the relay is composed, unless the decoded content is
      // it; a large one is collected at once, with the copies its decoding left (collectGarbageNow).
      if (decoded.content.buffer !== row.raw.buffer) {
        const large = row.raw.length >= COLLECT_AFTER_BYTES;
        row.raw = Buffer.alloc(0);
        if (large) collectGarbageNow();
      }
      m.u = { row, headers, recipients: m.recipients, decoded, content: m.content, subject: protectedSubject(decoded.content) ?? headers.subject, sender: m.sender };
      m.caseId = findCase(
        { recipients: m.recipients, subjectIds: subjectCaseIds(ctx.config.instance.caseIdPrefix, m.u.subject + ' ' + headers.subject), messageIds: [...headers.inReplyTo, ...[...headers.references].reverse()] },
        (id) => !!getCase(ctx.db, ctx.sealer, id),
        (mid) => caseOfMessageId(ctx.db, mid),
      );
    },
  },
  {
    name: 'replay guard',
    async run(m) {
      m.replay = judgeReplay(payloadSightings(m.ctx.db, m.decoded.payloadIds), m.sender, m.caseId);
      if (m.replay.kind !== 'replay') return;
      // Decrypting it here would relay someone else's ciphertext to this case's members (an oracle).
      await quarantine(m.ctx, m.row, m.headers, `replayed ciphertext: an encrypted payload first received in spool #${m.replay.firstSpool} arrived from another sender or for another case`, { answerSender: false });
      return done;
    },
  },
  {
    name: 'command',
    async run(m) {
      if (!isCommandMessage({ text: m.content.text ?? '', signed: m.decoded.signature.state !== 'unsigned', toIntake: !m.recipients.some((r) => r.kind === 'case') })) return;
      await handleCommandMessage(m.ctx, m.u, m.caseId);
      return done;
    },
  },
  {
    name: 'resend',
    async run(m) {
      if (m.replay.kind !== 'resend') return;
      await recordResend(m.ctx, m.u, m.replay.caseId);
      return done;
    },
  },
  {
    name: 'automatic',
    async run(m) {
      if (!m.headers.automatic) return;
      if (m.caseId) await recordAutomatic(m.ctx, m.u, m.caseId);
      else await quarantine(m.ctx, m.row, m.headers, 'automatic message (auto-reply, list or delivery report) for no case: no case opened', { alert: false, answerSender: false });
      return done;
    },
  },
  {
    name: 'reply',
    async run(m) {
      if (!m.caseId) return;
      await addToCase(m.ctx, m.u, m.caseId, 'reply');
      return done;
    },
  },
  {
    name: 'report',
    async run(m) {
      await openCaseFor(m.ctx, m.u);
      return done;
    },
  },
];

/**
 * Processes one spooled message to its outcome by running the inbound steps in order until one
 * settles it. Each outcome (a bounce recorded, a quarantine with a reason, a command answered, a
 * message relayed, a case opened) is applied with every resulting mail in one transaction that
 * marks the spool row done, so this is safe to repeat after a crash. An internal error comes out
 * as a StepError naming the step.
 */
export async function processSpooled(ctx: Vmtd, row: SpoolRow, ahead: DecodedAhead | null = null, usedAhead: () => void = () => {}): Promise<void> {
  // The steps fill the rest in before anything reads it.
  const m = { ctx, row, ahead, usedAhead } as Inbound;
  for (const step of inboundSteps) {
    let outcome: 'done' | void;
    try {
      outcome = await step.run(m);
    } catch (err) {
      if (err instanceof CaseIdRace) throw err;
      throw new StepError(step.name, err);
    }
    if (outcome === done) return;
  }
}
