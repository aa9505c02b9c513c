import type { Db } from './db.js';

/** Whether a notice with this key was already claimed (sent, failed or cancelled). */
export function noticeClaimed(db: Db, key: string): boolean {
  return !!db.prepare("SELECT 1 FROM notices WHERE key = ? AND state != 'planned'").get(key);
}

/**
 * Claims a one-off notice by its unique key (state sent); false when it was claimed before, by
 * this or another process. Call inside the transaction that queues its mail.
 */
export function claimOnce(db: Db, key: string, kind: string, at: string): boolean {
  return db.prepare("INSERT INTO notices (key, kind, due_at, state, sent_at) VALUES (?, ?, ?, 'sent', ?) ON CONFLICT(key) DO NOTHING").run(key, kind, at, at).changes > 0;
}
