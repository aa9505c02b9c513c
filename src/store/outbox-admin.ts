import { addEvent } from './events.js';
import type { Db } from './db.js';
import type { OutboxKind } from './outbox.js';

export const outboxStates = ['queued', 'sending', 'sent', 'failed'] as const;
export type OutboxState = (typeof outboxStates)[number];

/** What `vmtd outbox list` shows of one delivery: facts, never content. */
export interface OutboxListing {
  id: number;
  caseId: string | null;
  kind: OutboxKind;
  rcpt: string;
  state: OutboxState;
  attempts: number;
  lastError: string | null;
  createdAt: string;
  nextAttemptAt: string;
  sentAt: string | null;
}

const FACTS = `SELECT id, case_id AS caseId, kind, rcpt, state, attempts, last_error AS lastError, created_at AS createdAt,
  next_attempt_at AS nextAttemptAt, sent_at AS sentAt FROM outbox`;

/** The deliveries, oldest first, optionally of one state. */
export function outboxList(db: Db, state?: OutboxState): OutboxListing[] {
  return (state ? db.prepare(`${FACTS} WHERE state = ? ORDER BY id`).all(state) : db.prepare(`${FACTS} ORDER BY id`).all()) as OutboxListing[];
}

export function outboxListing(db: Db, id: number): OutboxListing | undefined {
  return db.prepare(`${FACTS} WHERE id = ?`).get(id) as OutboxListing | undefined;
}

/**
 * Makes a failed or queued delivery due at `at` (attempts kept) and records the event. Returns the
 * row's state before, or undefined when there is no such row; only `failed` and `queued` change.
 */
export function retryOutbox(db: Db, id: number, actor: string, at: string): OutboxState | undefined {
  return db
    .transaction(() => {
      const row = outboxListing(db, id);
      if (!row) return undefined;
      if (row.state !== 'failed' && row.state !== 'queued') return row.state;
      db.prepare("UPDATE outbox SET state = 'queued', next_attempt_at = ? WHERE id = ?").run(at, id);
      addEvent(db, row.caseId, at, actor, 'outbox-retry', { outbox: id, kind: row.kind, rcpt: row.rcpt, was: row.state, attempts: row.attempts });
      return row.state;
    })
    .immediate();
}
