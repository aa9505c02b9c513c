// Read-only facts for the metrics endpoint and /healthz (metrics.ts): counts and times, never content.
import { statement, type Db } from './db.js';

/** The spool's queue: pending rows (the backlog), the oldest one's arrival, rows in quarantine. */
export interface SpoolGaugeFacts {
  pending: number;
  oldestPendingAt: string | null;
  quarantined: number;
}

/** The spool's backlog and quarantine as they are now. */
export function spoolGaugeFacts(db: Db): SpoolGaugeFacts {
  const p = statement(db, "SELECT COUNT(*) AS n, MIN(received_at) AS oldest FROM spool WHERE state = 'pending'").get() as { n: number; oldest: string | null };
  const q = statement(db, "SELECT COUNT(*) AS n FROM spool WHERE state = 'quarantined'").get() as { n: number };
  return { pending: p.n, oldestPendingAt: p.oldest, quarantined: q.n };
}

/** Outbox rows by state (queued, sending, sent, failed); states with no row are absent. */
export function outboxStateCounts(db: Db): Array<{ state: string; n: number }> {
  return statement(db, 'SELECT state, COUNT(*) AS n FROM outbox GROUP BY state ORDER BY state').all() as Array<{ state: string; n: number }>;
}

/** How many mails wait for delivery (queued or sending): an index range, not a count of every mail ever sent. */
export function outboxDepth(db: Db): number {
  return (statement(db, "SELECT COUNT(*) AS n FROM outbox WHERE state IN ('queued','sending')").get() as { n: number }).n;
}

/** The oldest mail not yet delivered (queued or sending), by when it was queued; undefined when none waits. */
export function oldestWaitingMail(db: Db): { id: number; createdAt: string } | undefined {
  return statement(db, "SELECT id, created_at AS createdAt FROM outbox WHERE state IN ('queued','sending') ORDER BY created_at, id LIMIT 1").get() as
    | { id: number; createdAt: string }
    | undefined;
}

/**
 * The queued row that has been due longest at `now` (its next attempt time passed): what the
 * worker should have taken. Undefined when nothing is due.
 */
export function longestDueMail(db: Db, now: string): { id: number; dueSince: string; attempts: number; lastError: string | null } | undefined {
  return statement(db, "SELECT id, next_attempt_at AS dueSince, attempts, last_error AS lastError FROM outbox WHERE state = 'queued' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT 1")
    .get(now) as { id: number; dueSince: string; attempts: number; lastError: string | null } | undefined;
}

/** Cases by state. */
export function caseStateCounts(db: Db): Array<{ state: string; n: number }> {
  return statement(db, 'SELECT state, COUNT(*) AS n FROM cases GROUP BY state ORDER BY state').all() as Array<{ state: string; n: number }>;
}

/** What processing a spool row came to: its state and outcome, and the outcomes of the command messages it carried. */
export interface ProcessedFacts {
  state: 'pending' | 'done' | 'quarantined';
  outcome: string | null;
  commands: string[];
}

/** The facts of one processed spool row, for the counters; undefined when there is no such row. */
export function processedFacts(db: Db, spoolId: number): ProcessedFacts | undefined {
  const r = statement(db, 'SELECT state, outcome FROM spool WHERE id = ?').get(spoolId) as { state: ProcessedFacts['state']; outcome: string | null } | undefined;
  if (!r) return undefined;
  // Only command messages record signatures with an outcome: skip the lookup for everything else.
  const commands =
    r.outcome === 'command' || r.outcome === 'refused'
      ? (statement(db, 'SELECT outcome FROM signatures_seen WHERE spool_id = ? AND outcome IS NOT NULL').all(spoolId) as Array<{ outcome: string }>).map((c) => c.outcome)
      : [];
  return { state: r.state, outcome: r.outcome, commands };
}
