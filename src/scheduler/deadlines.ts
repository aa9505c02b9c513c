import { transition, type CaseState } from '../cases/lifecycle.js';

/** A case as the deadline rule sees it: facts only. */
export interface DeadlineCase {
  id: string;
  state: string;
  createdAt: Date;
  /** X-EMBARGO-OVERRIDE was accepted: the limit does not apply. */
  overridden: boolean;
  /** The latest advisory revision is approved (only that may be published at the limit). */
  approved: boolean;
}

export interface DeadlinePolicy {
  maxEmbargoDays: number;
  /** Days before the limit to remind (e.g. 14, 7, 2). */
  reminderDays: readonly number[];
  atLimit: 'alert' | 'publish';
}

export type DeadlineAction =
  | { kind: 'reminder'; key: string; caseId: string; days: number; limit: Date }
  | { kind: 'limit'; key: string; caseId: string; limit: Date; /** what follows: publication of the approved advisory, or an alert */ then: 'publish' | 'alert' };

const DAY = 86_400_000;
const OPEN = ['new', 'triaged', 'accepted', 'scheduled'];

/** The policy limit of a case: its report time + maxEmbargoDays. Pure. */
export function limitOf(createdAt: Date, maxEmbargoDays: number): Date {
  return new Date(createdAt.getTime() + maxEmbargoDays * DAY);
}

/**
 * The latest report time at which a case can have a deadline action due at `now`: a case reported
 * later is still before its first reminder window (limit − the largest reminder day). Pure. With
 * it the facts are read only for the cases that can matter (with 10,000 open cases most are recent:
 * reading them all made the planner's pass ~130 ms, issue 16).
 */
export function deadlineHorizon(now: Date, policy: Pick<DeadlinePolicy, 'maxEmbargoDays' | 'reminderDays'>): Date {
  const earliest = Math.max(0, ...policy.reminderDays.filter((n) => n > 0));
  return new Date(now.getTime() - (policy.maxEmbargoDays - earliest) * DAY);
}

/**
 * The reminder that is current at `now`: the smallest of `days` whose window (limit − N days) has
 * opened, before the limit; null before the first window and from the limit on. A pass after
 * downtime sends only the most urgent reminder, never a backlog of stale ones. Pure.
 */
export function currentReminder(limit: Date, now: Date, days: readonly number[]): number | null {
  if (now.getTime() >= limit.getTime()) return null;
  const open = days.filter((n) => n > 0 && now.getTime() >= limit.getTime() - n * DAY);
  return open.length === 0 ? null : Math.min(...open);
}

/**
 * What the disclosure limit asks for at `now`, for open cases without an override: the current
 * reminder (to the project's contacts and the coordinators), and at the limit its consequence:
 * publication of the approved advisory when the policy says `publish`, one is approved and the
 * case may move to published; otherwise an alert to everyone involved. Keys carry the limit's
 * day, so each is claimed once, and a changed policy (another limit) is a new deadline. Actions
 * whose key is in `done` are left out: running it again sends nothing twice. Pure.
 */
export function deadlineActions(cases: readonly DeadlineCase[], now: Date, policy: DeadlinePolicy, done: ReadonlySet<string>): DeadlineAction[] {
  const out: DeadlineAction[] = [];
  for (const c of cases) {
    if (c.overridden || !OPEN.includes(c.state)) continue;
    const limit = limitOf(c.createdAt, policy.maxEmbargoDays);
    const day = limit.toISOString().slice(0, 10);
    if (now.getTime() >= limit.getTime()) {
      const publish = policy.atLimit === 'publish' && c.approved && transition(c.state as CaseState, 'published').ok;
      const key = `deadline:${c.id}:${day}:limit`;
      if (!done.has(key)) out.push({ kind: 'limit', key, caseId: c.id, limit, then: publish ? 'publish' : 'alert' });
      continue;
    }
    const n = currentReminder(limit, now, policy.reminderDays);
    if (n === null) continue;
    const key = `deadline:${c.id}:${day}:${n}d`;
    if (!done.has(key)) out.push({ kind: 'reminder', key, caseId: c.id, days: n, limit });
  }
  return out;
}
