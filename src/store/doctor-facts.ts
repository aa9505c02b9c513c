// Read-only facts for `vmtd doctor` (doctor/checks.ts): the database opened without changing it,
// its schema version and integrity, failed deliveries, and the stored keys copied into a scratch
// database. Nothing here writes to the database it reads.
import { existsSync, readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { Db } from './db.js';

/**
 * Opens the database for reading without creating or changing anything: the live file read-only
 * while a daemon has it open (its -wal and -shm exist), else a snapshot in memory (a read-only
 * open would leave -wal and -shm files behind). Never migrates. Undefined when there is none.
 */
export function openForReading(file: string): Db | undefined {
  if (!existsSync(file)) return undefined;
  if (existsSync(`${file}-wal`) && existsSync(`${file}-shm`)) return new Database(file, { readonly: true, fileMustExist: true });
  const image = readFileSync(file);
  // A WAL database's header says so (bytes 18-19 = 2); the in-memory copy reads as a plain one.
  if (image.length >= 20 && image[18] === 2 && image[19] === 2) image[18] = image[19] = 1;
  return new Database(image, { readonly: true });
}

/** The schema version the database says it has (user_version) and SQLite's integrity_check answer ('ok' when sound). */
export function databaseHealth(db: Db): { version: number; integrity: string } {
  return { version: db.pragma('user_version', { simple: true }) as number, integrity: db.pragma('integrity_check', { simple: true }) as string };
}

/** Outgoing mails given up (state failed) that were queued at or after `since` (ISO-8601). */
export function failedDeliveriesSince(db: Db, since: string): number {
  return (db.prepare("SELECT COUNT(*) AS n FROM outbox WHERE state = 'failed' AND created_at >= ?").get(since) as { n: number }).n;
}

/** Copies every stored key row of `from` into `to` (a migrated scratch database), replacing rows with the same fingerprint. */
export function copyStoredKeys(from: Db, to: Db): void {
  const insert = to.prepare('INSERT OR REPLACE INTO keys (fingerprint, armored, emails, source, added_at) VALUES (?, ?, ?, ?, ?)');
  const rows = from.prepare('SELECT fingerprint, armored, emails, source, added_at FROM keys').all() as Array<Record<string, string>>;
  to.transaction(() => {
    for (const k of rows) insert.run(k.fingerprint, k.armored, k.emails, k.source, k.added_at);
  })();
}
