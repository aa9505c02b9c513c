import type { Db } from './db.js';
import { removeOrphanFiles } from './blob-files.js';

/** The files of the spool and blob directories that rows of `db` name. */
export function namedBlobFiles(db: Db): { spool: string[]; blobs: string[] } {
  const names = (sql: string): string[] => db.prepare(sql).pluck().all() as string[];
  return {
    spool: names('SELECT raw_file FROM spool WHERE raw_file IS NOT NULL'),
    blobs: names('SELECT content_file FROM messages WHERE content_file IS NOT NULL UNION SELECT file FROM payloads WHERE file IS NOT NULL'),
  };
}

/**
 * Removes the files of the spool and blob directories that no row names: what a crash left
 * between writing a file and committing its row (a message never acknowledged with 250, or a
 * processing step that was rolled back and is redone). Call at start, before anything writes.
 */
export function removeOrphanBlobFiles(db: Db, dirs: { spool: string; blobs: string }): string[] {
  const named = namedBlobFiles(db);
  return [...removeOrphanFiles(dirs.spool, new Set(named.spool)), ...removeOrphanFiles(dirs.blobs, new Set(named.blobs))];
}
