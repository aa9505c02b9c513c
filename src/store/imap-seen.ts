import type { Db } from './db.js';

/** Whether a mailbox's message (by UIDVALIDITY and UID) was spooled already. */
export function imapSeen(db: Db, account: string, uidValidity: string, uid: number): boolean {
  return !!db.prepare('SELECT 1 FROM imap_seen WHERE account = ? AND uidvalidity = ? AND uid = ?').get(account, uidValidity, uid);
}

/** Records a mailbox's message as spooled; call in the transaction that spools it. */
export function markImapSeen(db: Db, account: string, uidValidity: string, uid: number, spoolId: number): void {
  db.prepare('INSERT INTO imap_seen (account, uidvalidity, uid, spool_id) VALUES (?, ?, ?, ?)').run(account, uidValidity, uid, spoolId);
}
