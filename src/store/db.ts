import Database from 'better-sqlite3';
import { migrations } from './migrations.js';

export type Db = Database.Database;

/**
 * Opens (creating if needed) the vmtd database with the durability settings the spool relies on:
 * WAL, synchronous=FULL (a committed row survives power loss), foreign keys, and a busy timeout so
 * a concurrent backup or second process waits instead of failing. Applies pending migrations.
 */
export function openDb(file: string): Db {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 10000');
  migrate(db);
  return db;
}

/** Brings the schema to the newest version, one transaction per migration (PRAGMA user_version). */
export function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  migrations.forEach((sql, i) => {
    const version = i + 1;
    if (version <= current) return;
    db.transaction(() => {
      db.exec(sql);
      db.pragma(`user_version = ${version}`);
    }).immediate();
  });
}

/**
 * Runs `work` (its transactions) with synchronous=NORMAL, then restores FULL: its commits are
 * atomic and visible at once, but not fsynced by themselves; the next FULL commit makes them
 * durable together with itself (WAL is written in order). Only for state whose loss in a power cut
 * is harmless, never for anything acknowledged.
 */
export function withoutOwnFsync<T>(db: Db, work: () => T): T {
  db.pragma('synchronous = NORMAL');
  try {
    return work();
  } finally {
    db.pragma('synchronous = FULL');
  }
}
