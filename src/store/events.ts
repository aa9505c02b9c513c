import { statement, type Db } from './db.js';

/**
 * Appends one event to the case's audit log (append-only: the table refuses updates and deletes).
 * `detail` must never hold message content: names, states, fingerprints, digests only.
 */
export function addEvent(db: Db, caseId: string | null, at: string, actor: string, kind: string, detail: Record<string, unknown> = {}): void {
  statement(db, 'INSERT INTO events (case_id, at, actor, kind, detail) VALUES (?, ?, ?, ?, ?)').run(caseId, at, actor, kind, JSON.stringify(detail));
}

export interface EventRow {
  at: string;
  actor: string;
  kind: string;
  detail: Record<string, unknown>;
}

/** A case's events in order. */
export function eventsOf(db: Db, caseId: string): EventRow[] {
  const rows = statement(db, 'SELECT at, actor, kind, detail FROM events WHERE case_id = ? ORDER BY id').all(caseId) as Array<{ at: string; actor: string; kind: string; detail: string }>;
  return rows.map((r) => ({ ...r, detail: JSON.parse(r.detail) as Record<string, unknown> }));
}

/** How many events of a kind were recorded since `since` (for rate limits on alerts). */
export function countEventsSince(db: Db, kind: string, since: string): number {
  return (statement(db, 'SELECT COUNT(*) AS n FROM events WHERE kind = ? AND at >= ?').get(kind, since) as { n: number }).n;
}
