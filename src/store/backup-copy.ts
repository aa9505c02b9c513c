import Database from 'better-sqlite3';
import { migrations } from './migrations.js';
import { namedBlobFiles } from './orphans.js';

/**
 * A finished backup copy becomes a self-contained rollback-journal database: no `-wal`/`-shm`
 * files are made beside it when it is opened later (read-only or for a restore).
 */
export function settleBackupCopy(file: string): void {
  const db = new Database(file);
  try {
    db.pragma('journal_mode = DELETE');
  } finally {
    db.close();
  }
}

/** The files of the spool and blob directories a backup copy names. */
export function blobFilesOfCopy(file: string): { spool: string[]; blobs: string[] } {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return namedBlobFiles(db);
  } finally {
    db.close();
  }
}

export interface CopyCheck {
  /** `ok`, or SQLite's integrity_check findings. */
  integrity: string[];
  schemaVersion: number;
  /** The schema version this vmtd writes. */
  expectedVersion: number;
  named: { spool: string[]; blobs: string[] };
}

/** Reads a backup copy without changing it: integrity, schema version, the files it names. */
export function checkBackupCopy(file: string): CopyCheck {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const integrity = (db.pragma('integrity_check') as Array<{ integrity_check: string }>).map((r) => r.integrity_check);
    const schemaVersion = db.pragma('user_version', { simple: true }) as number;
    const named = integrity.length === 1 && integrity[0] === 'ok' ? namedBlobFiles(db) : { spool: [], blobs: [] };
    return { integrity, schemaVersion, expectedVersion: migrations.length, named };
  } finally {
    db.close();
  }
}
