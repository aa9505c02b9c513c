import { statement, withoutOwnFsync, type Db } from './db.js';
import type { Stored } from './blob-files.js';

export type OutboxKind = 'ack' | 'relay' | 'notice' | 'answer' | 'advisory' | 'digest' | 'alert';

/** Encrypted data shared by several queued mails (one relay to many members): stored once. */
export interface SharedPayload {
  /** Where it is kept: in its row, or (large) in a file already written. */
  stored: Stored;
}

export interface OutgoingMail {
  caseId: string | null;
  kind: OutboxKind;
  messageId: string;
  rcpt: string;
  /** The composed message: encrypted to `rcpt`, or free of any case content. With `shared`, it holds ARMOR_SLOT where the armored data goes. */
  raw: Buffer;
  sourceMessage?: number | null;
  /** The recipient's key packet and the shared encrypted data it opens. */
  shared?: { payload: SharedPayload; keyPacket: Uint8Array };
}

export interface OutboxRow {
  id: number;
  caseId: string | null;
  kind: OutboxKind;
  messageId: string;
  rcpt: string;
  raw: Buffer;
  attempts: number;
  payloadId: number | null;
  keyPacket: Buffer | null;
}

// Payload rows already written, by the object queued mails share. A rolled-back transaction is
// retried with freshly composed mail (new objects), so a stale entry is never looked up.
const payloadIds = new WeakMap<SharedPayload, number>();

/** Queues one composed mail; call inside the transaction that decided to send it. */
export function enqueue(db: Db, mail: OutgoingMail, at: string): number {
  let payloadId: number | null = null;
  if (mail.shared) {
    payloadId = payloadIds.get(mail.shared.payload) ?? null;
    if (payloadId === null) {
      const { inline, file } = mail.shared.payload.stored;
      payloadId = Number(statement(db, 'INSERT INTO payloads (data, file) VALUES (?, ?)').run(inline ?? Buffer.alloc(0), file).lastInsertRowid);
      payloadIds.set(mail.shared.payload, payloadId);
    }
  }
  const info = statement(db, 'INSERT INTO outbox (case_id, kind, message_id, rcpt, raw, next_attempt_at, created_at, source_message, payload_id, pkesk) VALUES (?,?,?,?,?,?,?,?,?,?)')
    .run(mail.caseId, mail.kind, mail.messageId, mail.rcpt.toLowerCase(), mail.raw, at, at, mail.sourceMessage ?? null, payloadId, mail.shared?.keyPacket ?? null);
  return Number(info.lastInsertRowid);
}

/** Where the shared encrypted data of a payload row is kept. */
export function payloadData(db: Db, id: number): Stored {
  const r = statement(db, 'SELECT data, file FROM payloads WHERE id = ?').get(id) as { data: Buffer; file: string | null };
  return r.file ? { inline: null, file: r.file } : { inline: r.data, file: null };
}

/**
 * Claims due mail for delivery (state `sending`). A row left in `sending` by a crash is due again:
 * it was in flight, so it is re-sent with the same Message-ID. The claim is committed without an
 * fsync of its own (issue 16: it was a quarter of the outbox's commits): lost in a power cut, the
 * rows are simply `queued`, which startup treats as `sending` is treated; the next synchronous
 * commit makes it durable with everything before it. Other processes see it at once either way.
 */
export function claimDue(db: Db, at: string, limit = 50): OutboxRow[] {
  return withoutOwnFsync(db, () => claim(db, at, limit));
}

function claim(db: Db, at: string, limit: number): OutboxRow[] {
  return db
    .transaction(() => {
      const rows = statement(
        db,
        `SELECT id, case_id AS caseId, kind, message_id AS messageId, rcpt, raw, attempts, payload_id AS payloadId, pkesk AS keyPacket FROM outbox
           WHERE state IN ('queued','sending') AND next_attempt_at <= ? ORDER BY id LIMIT ?`,
      ).all(at, limit) as OutboxRow[];
      const mark = statement(db, "UPDATE outbox SET state = 'sending' WHERE id = ?");
      for (const r of rows) mark.run(r.id);
      return rows;
    })
    .immediate();
}

/** Rows left `sending` by a previous process are made due at once (startup recovery). */
export function recoverInFlight(db: Db, at: string): number {
  return db.prepare("UPDATE outbox SET state = 'queued', next_attempt_at = ? WHERE state = 'sending'").run(at).changes;
}

export function markSent(db: Db, id: number, at: string): void {
  statement(db, "UPDATE outbox SET state = 'sent', sent_at = ?, attempts = attempts + 1, last_error = NULL WHERE id = ?").run(at, id);
}

/**
 * Marks delivered rows sent, in one commit without an fsync of its own (as claimDue): lost in a
 * power cut, those rows are `sending` again and re-sent with the same Message-IDs, as after a crash
 * between the transport's acceptance and this commit; the next synchronous commit makes it durable.
 * Its fsync was ~3% of the event loop's time under sustained load (issue 16).
 */
export function markAllSent(db: Db, ids: readonly number[], at: string): void {
  if (ids.length === 0) return;
  withoutOwnFsync(db, () => db.transaction(() => ids.forEach((id) => markSent(db, id, at)))());
}

export function markRetry(db: Db, id: number, error: string, nextAt: string): void {
  statement(db, "UPDATE outbox SET state = 'queued', attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ?").run(error, nextAt, id);
}

export function markFailed(db: Db, id: number, error: string): void {
  db.prepare("UPDATE outbox SET state = 'failed', attempts = attempts + 1, last_error = ? WHERE id = ?").run(error, id);
}

/** A delivery the receiving side reported failed after accepting it (a DSN to its bounce address). */
export function markBounced(db: Db, id: number, error: string): void {
  db.prepare("UPDATE outbox SET state = 'failed', last_error = ? WHERE id = ? AND state = 'sent'").run(error, id);
}

export interface OutboxFacts {
  id: number;
  caseId: string | null;
  kind: OutboxKind;
  rcpt: string;
  state: string;
  createdAt: string;
  lastError: string | null;
}

/** One row's facts (no content), e.g. for a bounce report. */
export function outboxFacts(db: Db, id: number): OutboxFacts | undefined {
  return db
    .prepare('SELECT id, case_id AS caseId, kind, rcpt, state, created_at AS createdAt, last_error AS lastError FROM outbox WHERE id = ?')
    .get(id) as OutboxFacts | undefined;
}

/** How many automatic answers (acks and command answers) to `rcpt` were queued since `since`: for rate limits. */
export function countAnswersTo(db: Db, rcpt: string, since: string): number {
  return (statement(db, "SELECT COUNT(*) AS n FROM outbox WHERE rcpt = ? AND kind IN ('ack','answer') AND created_at >= ?").get(rcpt.toLowerCase(), since) as { n: number }).n;
}

