import { openStates, transition, type CaseState } from '../cases/lifecycle.js';
import type { Db } from './db.js';

const openList = openStates.map(() => '?').join(',');

/** A case's embargo, creation time and kind (null when there is no such case). */
export function caseTimes(db: Db, caseId: string): { embargo: string | null; createdAt: string; kind: string } | null {
  const r = db.prepare('SELECT embargo, created_at AS createdAt, kind FROM cases WHERE id = ?').get(caseId) as { embargo: string | null; createdAt: string; kind: string } | undefined;
  return r ?? null;
}

/** Stakeholders that received the case's pre-disclosure notice. */
export function notifiedStakeholders(db: Db, caseId: string): string[] {
  return (db.prepare("SELECT DISTINCT stakeholder FROM notices WHERE case_id = ? AND kind = 'pre-disclosure' AND state = 'sent'").all(caseId) as Array<{ stakeholder: string }>).map((r) => r.stakeholder);
}

/**
 * Marks a case published with the revision that went out, through the lifecycle table: a case
 * that may not move to published (e.g. closed meanwhile) throws, rolling back the claim. Call
 * inside the transaction that queues the advisory.
 */
export function markPublished(db: Db, caseId: string, revision: number, at: string): void {
  const { state } = db.prepare('SELECT state FROM cases WHERE id = ?').get(caseId) as { state: CaseState };
  if (state !== 'published') {
    const t = transition(state, 'published');
    if (!t.ok) throw new Error(`case ${caseId} cannot be published from ${state}: ${t.reason}`);
  }
  db.prepare("UPDATE cases SET state = 'published', updated_at = ? WHERE id = ?").run(at, caseId);
  db.prepare("UPDATE advisories SET state = 'published' WHERE case_id = ? AND revision = ?").run(caseId, revision);
}

/**
 * What the coordinators' digest reports: open cases, the deliveries that failed since `since`, the
 * members of open cases, and the pre-disclosure notices still planned (of open cases).
 */
export function digestFacts(db: Db, since: string): {
  cases: Array<{ id: string; state: string; kind: string; created_at: string; embargo: string | null; embargo_override: string | null }>;
  failedDeliveries: Array<{ caseId: string | null; rcpt: string; kind: string }>;
  members: Array<{ email: string; fingerprint: string | null; cases: string }>;
  pendingNotices: Array<{ caseId: string; stakeholder: string; dueAt: string }>;
} {
  return {
    cases: db.prepare(`SELECT id, state, kind, created_at, embargo, embargo_override FROM cases WHERE state IN (${openList})`).all(...openStates) as ReturnType<typeof digestFacts>['cases'],
    // Picked by when they failed (the delivery-failed event the worker and the bounce handler
    // record with the failure), not when they were queued: a retried mail fails days later. A row
    // failed without its event (the worker's last-resort path) counts from when it was queued.
    failedDeliveries: db
      .prepare(
        `SELECT case_id AS caseId, rcpt, kind FROM outbox o WHERE state = 'failed' AND kind != 'alert'
           AND (id IN (SELECT json_extract(detail, '$.outbox') FROM events WHERE kind = 'delivery-failed' AND at >= ?)
             OR (created_at >= ? AND NOT EXISTS (SELECT 1 FROM events e WHERE e.kind = 'delivery-failed' AND json_extract(e.detail, '$.outbox') = o.id)))
         ORDER BY id`,
      )
      .all(since, since) as ReturnType<typeof digestFacts>['failedDeliveries'],
    // Only planned rows: a cancelled notice (embargo lifted, stakeholder gone) is not pending.
    pendingNotices: db
      .prepare(
        `SELECT n.case_id AS caseId, n.stakeholder, n.due_at AS dueAt FROM notices n JOIN cases c ON c.id = n.case_id
         WHERE n.kind = 'pre-disclosure' AND n.state = 'planned' AND c.state IN (${openList}) ORDER BY n.due_at`,
      )
      .all(...openStates) as ReturnType<typeof digestFacts>['pendingNotices'],
    members: db
      .prepare(`SELECT m.email, m.fingerprint, group_concat(m.case_id) AS cases FROM members m JOIN cases c ON c.id = m.case_id WHERE c.state IN (${openList}) GROUP BY m.email, m.fingerprint`)
      .all(...openStates) as ReturnType<typeof digestFacts>['members'],
  };
}
