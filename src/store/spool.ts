import { join } from 'node:path';
import type { Db } from './db.js';
import type { Sealer } from './seal.js';
import { readSealed, type Stored } from './blob-files.js';

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
  const info = db
    .prepare('INSERT INTO spool (received_at, via, mail_from, rcpt_to, size, raw_sealed, raw_file) VALUES (?, ?, ?, ?, ?, ?, ?)')
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

/** IDs of spooled messages not yet processed, oldest first. */
export function pendingSpoolIds(db: Db, limit = 100): number[] {
  return (db.prepare("SELECT id FROM spool WHERE state = 'pending' ORDER BY id LIMIT ?").all(limit) as Array<{ id: number }>).map((r) => r.id);
}

/**
 * One spooled message, unsealed (one at a time: a message may be tens of megabytes; a large one is
 * read from `spoolDir` and opened without stalling the event loop).
 */
export async function spoolRow(db: Db, sealer: Sealer, spoolDir: string, id: number): Promise<SpoolRow | undefined> {
  const r = db.prepare('SELECT id, received_at, via, mail_from, rcpt_to, raw_sealed, raw_file, attempts FROM spool WHERE id = ?').get(id) as RawRow | undefined;
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
  db.prepare("UPDATE spool SET state = 'done', outcome = ?, case_id = ?, processed_at = ?, reason = ? WHERE id = ?").run(outcome, caseId, at, reason, id);
}

/** Quarantines a message with a reason that names the problem, never the content. */
export function quarantineSpool(db: Db, id: number, reason: string, at: string): void {
  db.prepare("UPDATE spool SET state = 'quarantined', reason = ?, processed_at = ? WHERE id = ?").run(reason, at, id);
}

/** Counts a failed processing attempt (a bug or transient error), so a poison message is quarantined. */
export function countSpoolAttempt(db: Db, id: number): number {
  db.prepare('UPDATE spool SET attempts = attempts + 1 WHERE id = ?').run(id);
  return (db.prepare('SELECT attempts FROM spool WHERE id = ?').get(id) as { attempts: number }).attempts;
}

export interface QuarantinedRow {
  id: number;
  receivedAt: string;
  mailFrom: string;
  reason: string;
}

/** Quarantined messages, newest first, for `vmtd case list` and doctor. */
export function quarantined(db: Db): QuarantinedRow[] {
  return db
    .prepare("SELECT id, received_at AS receivedAt, mail_from AS mailFrom, reason FROM spool WHERE state = 'quarantined' ORDER BY id DESC")
    .all() as QuarantinedRow[];
}

/** How many spooled messages wait for processing. */
export function spoolBacklog(db: Db): number {
  return (db.prepare("SELECT COUNT(*) AS n FROM spool WHERE state = 'pending'").get() as { n: number }).n;
}
