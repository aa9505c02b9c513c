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

/**
 * Claims a planned (or not yet recorded) notice by its unique key with its outcome; false when
 * another pass or process claimed it first. Call inside the transaction that queues its mail.
 */
export function claimNotice(db: Db, n: { key: string; caseId: string | null; kind: string; stakeholder: string | null; embargo: string | null; state: 'sent' | 'failed' }, at: string): boolean {
  return (
    db
      .prepare(
        `INSERT INTO notices (key, case_id, kind, stakeholder, embargo, due_at, state, sent_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(key) DO UPDATE SET state = excluded.state, sent_at = excluded.sent_at, embargo = excluded.embargo WHERE notices.state = 'planned'`,
      )
      .run(n.key, n.caseId, n.kind, n.stakeholder, n.embargo, at, n.state, at).changes > 0
  );
}

/** Links a notice to the one mail that carried it. */
export function linkNoticeMail(db: Db, key: string, outboxId: number): void {
  db.prepare('UPDATE notices SET outbox_id = ? WHERE key = ?').run(outboxId, key);
}

/**
 * Records an incident notice sent to a stakeholder with the command that asked for it. The first
 * one claims the stakeholder's pre-disclosure key (`pre:CASE:SID`, kind pre-disclosure, the date
 * it announced), so the planner treats the stakeholder as told: updates when the date moves, the
 * word at publication, errata. A later one (X-NOTIFY again: news) is its own row, keyed by the
 * signed command's digest. Call inside the transaction that queues the mail.
 */
export function recordIncidentNotice(db: Db, n: { caseId: string; stakeholder: string; embargo: string; digest: string }, at: string): void {
  const base = { caseId: n.caseId, stakeholder: n.stakeholder, embargo: n.embargo, state: 'sent' as const };
  if (claimNotice(db, { ...base, key: `pre:${n.caseId}:${n.stakeholder}`, kind: 'pre-disclosure' }, at)) return;
  claimNotice(db, { ...base, key: `incident:${n.caseId}:${n.stakeholder}:${n.digest.slice(0, 16)}`, kind: 'incident-notice' }, at);
}
