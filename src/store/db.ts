import Database, { type Statement } from 'better-sqlite3';
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

// Statements prepared once per database and SQL text. Preparing compiles the SQL: on the paths run
// for every message (spool, case, outbox rows) that was ~0.5 ms of the event loop's time per report
// (issue 16). Only for statements whose mode no caller changes (no pluck, raw or expand).
const statements = new WeakMap<Db, Map<string, Statement>>();

/** `db.prepare(sql)`, prepared once per database and reused. */
export function statement(db: Db, sql: string): Statement {
  let bySql = statements.get(db);
  if (!bySql) statements.set(db, (bySql = new Map()));
  let s = bySql.get(sql);
  if (!s) bySql.set(sql, (s = db.prepare(sql)));
  return s;
}

/** Counts commits by other connections (any process) to this database file: PRAGMA data_version. */
export function commitsByOthers(db: Db): number {
  return (statement(db, 'PRAGMA data_version').get() as { data_version: number }).data_version;
}

/**
 * Counts rows this connection wrote: total_changes(), which counts even rows a rollback undid (it
 * may say "changed" for nothing, never the reverse).
 */
export function changesByThis(db: Db): number {
  return (statement(db, 'SELECT total_changes() AS n').get() as { n: number }).n;
}

/**
 * A value that differs from the one read before whenever the database's content may have changed
 * in between (commitsByOthers, changesByThis). Only comparable with values read from the same `db`.
 */
export function contentVersion(db: Db): string {
  return `${commitsByOthers(db)}:${changesByThis(db)}`;
}
