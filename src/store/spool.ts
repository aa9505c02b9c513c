import { join } from 'node:path';
import { statement, type Db } from './db.js';
import type { Sealer } from './seal.js';
import { readSealed, type Stored } from './blob-files.js';
import { addEvent } from './events.js';

export interface Envelope {
  mailFrom: string;
  rcptTo: string[];
  via: 'smtp' | 'imap' | 'ingest';
}

export interface SpoolRow {
  id: number;
  receivedAt: string;
  envelope: Envelope;
  raw: Buffer;
  attempts: number;
}

/** `refused`: a command message refused (its reason kept on the row, so `vmtd spool list` finds it). */
export type SpoolOutcome = 'report' | 'case-message' | 'command' | 'refused' | 'bounce' | 'junk' | 'duplicate' | 'automatic';

/**
 * Commits one raw message to the spool, sealed. When this returns, the message survives a crash
 * or power loss (WAL + synchronous=FULL): only then may the sender be told 250.
 */
export function spoolMessage(db: Db, sealer: Sealer, raw: Buffer, envelope: Envelope, at: string): number {
  return spoolSealed(db, { inline: sealer.seal(raw), file: null }, raw.length, envelope, at);
}

/**
 * Commits one message received and sealed by a SpoolReceiver (whose file, if any, is already
 * durable). When this returns, the message survives a crash: only then may the sender be told 250.
 */
export function spoolSealed(db: Db, raw: Stored, size: number, envelope: Envelope, at: string): number {
  const info = statement(db, 'INSERT INTO spool (received_at, via, mail_from, rcpt_to, size, raw_sealed, raw_file) VALUES (?, ?, ?, ?, ?, ?, ?)')
    .run(at, envelope.via, envelope.mailFrom, JSON.stringify(envelope.rcptTo), size, raw.inline ?? Buffer.alloc(0), raw.file);
  return Number(info.lastInsertRowid);
}

interface RawRow {
  id: number;
  received_at: string;
  via: Envelope['via'];
  mail_from: string;
  rcpt_to: string;
  raw_sealed: Buffer;
  raw_file: string | null;
  attempts: number;
}

/**
 * Spooled messages not yet processed, oldest first (after `afterId`, to walk the queue): their
 * IDs, and whether each is held in its row (small) rather than in a spool file.
 */
export function pendingSpool(db: Db, limit = 100, afterId = 0): Array<{ id: number; inRow: boolean }> {
  return (statement(db, "SELECT id, raw_file IS NULL AS inRow FROM spool WHERE state = 'pending' AND id > ? ORDER BY id LIMIT ?").all(afterId, limit) as Array<{ id: number; inRow: number }>).map(
    (r) => ({ id: r.id, inRow: r.inRow === 1 }),
  );
}

/**
 * One spooled message, unsealed (one at a time: a message may be tens of megabytes; a large one is
 * read from `spoolDir` and opened without stalling the event loop).
 */
export async function spoolRow(db: Db, sealer: Sealer, spoolDir: string, id: number): Promise<SpoolRow | undefined> {
  const r = statement(db, 'SELECT id, received_at, via, mail_from, rcpt_to, raw_sealed, raw_file, attempts FROM spool WHERE id = ?').get(id) as RawRow | undefined;
  if (!r) return undefined;
  const raw = r.raw_file ? await readSealed(sealer, join(spoolDir, r.raw_file)) : sealer.open(r.raw_sealed);
  return {
    id: r.id,
    receivedAt: r.received_at,
    envelope: { mailFrom: r.mail_from, rcptTo: JSON.parse(r.rcpt_to) as string[], via: r.via },
    raw,
    attempts: r.attempts,
  };
}

/** Records the outcome of processing; call inside the transaction that applied it. */
export function markSpoolDone(db: Db, id: number, outcome: SpoolOutcome, caseId: string | null, at: string, reason: string | null = null): void {
  statement(db, "UPDATE spool SET state = 'done', outcome = ?, case_id = ?, processed_at = ?, reason = ? WHERE id = ?").run(outcome, caseId, at, reason, id);
}

/** Quarantines a message with a reason that names the problem, never the content. */
export function quarantineSpool(db: Db, id: number, reason: string, at: string): void {
  statement(db, "UPDATE spool SET state = 'quarantined', reason = ?, processed_at = ? WHERE id = ?").run(reason, at, id);
}

/** Counts a failed processing attempt (a bug or transient error), so a poison message is quarantined. */
export function countSpoolAttempt(db: Db, id: number): number {
  statement(db, 'UPDATE spool SET attempts = attempts + 1 WHERE id = ?').run(id);
  return (statement(db, 'SELECT attempts FROM spool WHERE id = ?').get(id) as { attempts: number }).attempts;
}

export interface QuarantinedRow {
  id: number;
  receivedAt: string;
  mailFrom: string;
  reason: string;
}

/** Quarantined messages, newest first, for `vmtd case list` and doctor. */
export function quarantined(db: Db): QuarantinedRow[] {
  return statement(db, "SELECT id, received_at AS receivedAt, mail_from AS mailFrom, reason FROM spool WHERE state = 'quarantined' ORDER BY id DESC")
    .all() as QuarantinedRow[];
}

/** What `vmtd spool list|show` tells about a row: facts, never content. */
export interface SpoolFacts {
  id: number;
  receivedAt: string;
  via: Envelope['via'];
  /** The envelope sender ('' for the null sender <>). */
  mailFrom: string;
  rcptTo: string[];
  size: number;
  /** pending | done | quarantined (a dropped row is done, with outcome `dropped`). */
  state: 'pending' | 'done' | 'quarantined';
  outcome: SpoolOutcome | 'dropped' | null;
  reason: string | null;
  attempts: number;
  caseId: string | null;
  processedAt: string | null;
  /** The spool file holding a large message, or null when it is in the row. */
  file: string | null;
}

const factsColumns = `id, received_at AS receivedAt, via, mail_from AS mailFrom, rcpt_to AS rcptTo, size, state, outcome, reason, attempts,
  case_id AS caseId, processed_at AS processedAt, raw_file AS file`;

const facts = (r: Omit<SpoolFacts, 'rcptTo'> & { rcptTo: string }): SpoolFacts => {
  let rcptTo: string[] = [];
  try {
    rcptTo = JSON.parse(r.rcptTo) as string[];
  } catch {
    // A damaged envelope column must not hide the row from the operator.
  }
  return { ...r, rcptTo };
};

/**
 * Rows waiting for processing, in quarantine, or set aside with a reason (a refused command, a
 * dropped row), oldest first; or only the quarantined ones.
 */
export function spoolList(db: Db, opts: { quarantinedOnly?: boolean } = {}): SpoolFacts[] {
  const where = opts.quarantinedOnly ? "state = 'quarantined'" : "state IN ('pending', 'quarantined') OR reason IS NOT NULL";
  return (statement(db, `SELECT ${factsColumns} FROM spool WHERE ${where} ORDER BY id`).all() as Array<Parameters<typeof facts>[0]>).map(facts);
}

/** One row's facts, whatever its state. */
export function spoolFacts(db: Db, id: number): SpoolFacts | undefined {
  const r = statement(db, `SELECT ${factsColumns} FROM spool WHERE id = ?`).get(id) as Parameters<typeof facts>[0] | undefined;
  return r && facts(r);
}

/**
 * Puts a quarantined row back in the queue (pending, attempts reset): the running daemon's poll,
 * or the next start, processes it again. Records an event with the reason it had. Returns the
 * row's state before, or undefined when there is no such row; only a quarantined row changes.
 */
export function releaseSpool(db: Db, id: number, actor: string, at: string): SpoolFacts['state'] | undefined {
  return db
    .transaction(() => {
      const before = spoolFacts(db, id);
      if (!before || before.state !== 'quarantined') return before?.state;
      statement(db, "UPDATE spool SET state = 'pending', attempts = 0, reason = NULL, processed_at = NULL WHERE id = ? AND state = 'quarantined'").run(id);
      addEvent(db, before.caseId, at, actor, 'spool-released', { spool: id, reason: before.reason });
      return before.state;
    })
    .immediate();
}

/**
 * Gives up a quarantined row: it is kept (state done, outcome `dropped`, its reason stays) and
 * never processed; nothing is deleted. Records an event. Returns the state before (see releaseSpool).
 */
export function dropSpool(db: Db, id: number, actor: string, at: string): SpoolFacts['state'] | undefined {
  return db
    .transaction(() => {
      const before = spoolFacts(db, id);
      if (!before || before.state !== 'quarantined') return before?.state;
      statement(db, "UPDATE spool SET state = 'done', outcome = 'dropped', processed_at = ? WHERE id = ? AND state = 'quarantined'").run(at, id);
      addEvent(db, before.caseId, at, actor, 'spool-dropped', { spool: id, reason: before.reason });
      return before.state;
    })
    .immediate();
}

/** Messages quarantined since `since` and still in quarantine, by reason (most frequent first): for the digest. */
export function quarantineReasonsSince(db: Db, since: string): Array<{ reason: string; count: number }> {
  return statement(db, "SELECT COALESCE(reason, '(no reason recorded)') AS reason, COUNT(*) AS count FROM spool WHERE state = 'quarantined' AND processed_at >= ? GROUP BY 1 ORDER BY 2 DESC, 1")
    .all(since) as Array<{ reason: string; count: number }>;
}

/** How many spooled messages wait for processing. */
export function spoolBacklog(db: Db): number {
  return (statement(db, "SELECT COUNT(*) AS n FROM spool WHERE state = 'pending'").get() as { n: number }).n;
}
