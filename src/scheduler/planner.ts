import type { Config } from '../config/types.js';

/** A case as the planner sees it: facts only, no content. */
export interface PlanCase {
  id: string;
  state: string;
  createdAt: Date;
  /** The disclosure time: the embargo (moved to the leak time + grace by X-LEAKED, to the moment by X-PUBLISH). */
  embargo: Date | null;
  leakedAt: Date | null;
  /** X-EMBARGO-OVERRIDE was accepted: the policy maximum does not apply to this case. */
  overridden: boolean;
  /** The latest advisory revision (a newer draft hides an older approval: it must be approved anew). */
  advisory: { revision: number; state: string; approvedAt: Date | null } | null;
  /** The newest revision already published (null or absent: none); a newer approved one is an erratum. */
  publishedRevision?: number | null;
  stakeholders: string[];
}

/** A pre-disclosure or update already sent: which embargo it announced (minute, or 'none'). */
export interface Announced {
  caseId: string;
  stakeholder: string;
  embargo: string | null;
  at: Date;
}

export interface PlannerInput {
  now: Date;
  cases: readonly PlanCase[];
  /** Keys of notices already sent (or claimed). */
  done: ReadonlySet<string>;
  /** The announcements per case and stakeholder, for update notices. */
  announced: readonly Announced[];
  stakeholders: Config['stakeholders'];
  maxEmbargoDays: number;
  coordinators: string[];
  /** The daily digest time, UTC minutes after midnight; null for no digest. */
  digestMinute: number | null;
}

/** Why a stakeholder that was told gets an update. */
export type UpdateReason = 'moved' | 'cancelled' | 'leaked' | 'overdue' | 'published';
/** Why nothing could be published at the disclosure time. */
export type UnpublishedReason = 'no-advisory' | 'not-approved' | 'not-accepted';

export type Action =
  | { kind: 'pre-disclosure'; key: string; caseId: string; stakeholder: string; dueAt: Date }
  | { kind: 'update'; key: string; caseId: string; stakeholder: string; embargo: Date | null; reason: UpdateReason }
  | { kind: 'publish'; key: string; caseId: string }
  | { kind: 'errata'; key: string; caseId: string; revision: number }
  | { kind: 'unpublished'; key: string; caseId: string; reason: UnpublishedReason; revision: number | null }
  // The policy maximum is the deadline job's (scheduler/deadlines.ts): one alert at the limit, not two.
  | { kind: 'abnormal'; key: string; caseId: string; reason: 'leaked' }
  | { kind: 'short-notice'; key: string; caseId: string; stakeholder: string }
  | { kind: 'digest'; key: string; coordinator: string; day: string };

const DAY = 86_400_000;
/** How an announced embargo is recorded: minute precision, or 'none'. */
export const isoMinute = (d: Date | null): string => (d ? d.toISOString().slice(0, 16) + 'Z' : 'none');
const closed = (state: string): boolean => ['published', 'closed', 'rejected', 'duplicate'].includes(state);
const MINUTE_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}Z$/;

/** A stakeholder's notice window: calendar days, or business days (Monday–Friday, UTC) when given. */
export interface NoticeWindow {
  noticeDays: number;
  noticeBusinessDays?: number;
}

/** Whether a date falls on a Saturday or Sunday in UTC (the centre's calendar; holidays are not modelled). */
const weekend = (d: Date): boolean => d.getUTCDay() === 0 || d.getUTCDay() === 6;

/**
 * When a stakeholder's pre-disclosure is due for an embargo: embargo − noticeDays, or, with
 * noticeBusinessDays N, N weekdays back from the embargo at the same time of day (a Tuesday embargo
 * with 3 business days: Monday, Friday, Thursday → Thursday). The large VMTs count their window in
 * business days so that a weekend never eats it. A plain number is calendar days. Pure.
 */
export function noticeDue(embargo: Date, window: number | NoticeWindow): Date {
  const w: NoticeWindow = typeof window === 'number' ? { noticeDays: window } : window;
  if (w.noticeBusinessDays === undefined) return new Date(embargo.getTime() - w.noticeDays * DAY);
  let t = embargo.getTime();
  for (let left = w.noticeBusinessDays; left > 0; ) {
    t -= DAY;
    if (!weekend(new Date(t))) left--;
  }
  return new Date(t);
}

/** How a stakeholder's window reads in letters and answers: "7 days" or "3 business days". */
export function noticeWindowText(w: NoticeWindow): string {
  return w.noticeBusinessDays === undefined ? `${w.noticeDays} days` : `${w.noticeBusinessDays} business days`;
}

/** The longest calendar span N business days can take (each started week of five adds a weekend). */
export function businessSpanDays(n: number): number {
  return n + 2 * Math.ceil(n / 5);
}

/**
 * Whether an open case with an embargo has outlived the policy maximum (maxEmbargoDays after the
 * report). Never when X-EMBARGO-OVERRIDE was accepted: the coordinators chose a longer embargo,
 * and its end is watched like any other (publication, or the alert that nothing was published). Pure.
 */
export function isOverdue(c: Pick<PlanCase, 'state' | 'createdAt' | 'embargo' | 'overridden'>, now: Date, maxEmbargoDays: number): boolean {
  return !c.overridden && !closed(c.state) && c.embargo !== null && now.getTime() >= c.createdAt.getTime() + maxEmbargoDays * DAY;
}

/**
 * The update a stakeholder that was told about a case is owed, if any, and the label that makes
 * its key (one update per change). In order: the leak (once); disclosure earlier than the date last
 * announced, or after the embargo was lifted (X-PUBLISH; once); the policy maximum (once); the
 * embargo moved or lifted (once per new date). Pure.
 */
export function updateFor(c: PlanCase, last: Announced, overdue: boolean, done: (label: string) => boolean): { reason: UpdateReason; label: string } | null {
  const now = isoMinute(c.embargo);
  if (c.leakedAt && !done('leaked')) return { reason: 'leaked', label: 'leaked' };
  if (c.state === 'published') {
    const announced = last.embargo ?? 'none';
    const early = announced === 'none' || (MINUTE_ISO.test(announced) && announced > now);
    return early && !done('published') ? { reason: 'published', label: 'published' } : null;
  }
  if (closed(c.state)) return null;
  if (overdue) return done('overdue') ? null : { reason: 'overdue', label: 'overdue' };
  // A legacy row recorded its reason ('leaked', …) instead of the date: no date to compare.
  if (last.embargo !== null && last.embargo !== 'none' && !MINUTE_ISO.test(last.embargo)) return null;
  if ((last.embargo ?? 'none') === now || done(now)) return null;
  return { reason: c.embargo === null ? 'cancelled' : 'moved', label: now };
}

/**
 * The revision to publish as an erratum, if any: the case was published (or closed since) with an
 * earlier revision, and the latest revision is approved and newer. A newer draft holds it (it must
 * be approved first), as for the first publication. Pure.
 */
export function erratumRevision(c: Pick<PlanCase, 'state' | 'advisory' | 'publishedRevision'>): number | null {
  const published = c.publishedRevision ?? null;
  if (published === null || !c.advisory || c.advisory.state !== 'approved') return null;
  if (c.state !== 'published' && c.state !== 'closed') return null;
  return c.advisory.revision > published ? c.advisory.revision : null;
}

/**
 * What is due at `now`, from the database's facts alone: pre-disclosure notices, updates when the
 * date moves or disclosure comes early, publication at the disclosure time (only of an approved
 * revision; else the coordinators are alerted once per date and it stays due), errata (a newer
 * approved revision of a published case, once per revision), abnormal
 * termination by a leak, warnings, and the coordinators' daily digest. The policy maximum
 * (overdue) is the deadline job's alert (scheduler/deadlines.ts); here it only owes told
 * stakeholders their update. Never returns an
 * action whose key is already done, so running it again — or after hours of downtime — sends each
 * notice exactly once. Pure.
 */
export function plan(input: PlannerInput): Action[] {
  const { now } = input;
  const actions: Action[] = [];
  const add = (a: Action): void => {
    if (!input.done.has(a.key)) actions.push(a);
  };
  const lastAnnounced = new Map<string, Announced>();
  for (const a of input.announced) {
    const k = `${a.caseId}\u0000${a.stakeholder}`;
    const prev = lastAnnounced.get(k);
    if (!prev || a.at.getTime() >= prev.at.getTime()) lastAnnounced.set(k, a);
  }
  for (const c of input.cases) {
    const approved = c.advisory?.state === 'approved';
    const due = c.embargo !== null && c.embargo <= now;
    const errata = erratumRevision(c);
    if (errata !== null) add({ kind: 'errata', key: `errata:${c.id}:${errata}`, caseId: c.id, revision: errata });
    // Publication: an approved revision, at the disclosure time of a scheduled case, or at once
    // when a coordinator published it (X-PUBLISH). A draft never goes out.
    if (approved && errata === null && ((c.state === 'scheduled' && due) || c.state === 'published')) {
      add({ kind: 'publish', key: `publish:${c.id}`, caseId: c.id });
    } else if (due && !closed(c.state)) {
      // The disclosure time came and nothing can go out: tell the coordinators (once per date);
      // publication stays due and happens at the first pass after the advisory is approved.
      const reason: UnpublishedReason = !c.advisory || c.advisory.state === 'withdrawn' ? 'no-advisory' : !approved ? 'not-approved' : 'not-accepted';
      add({ kind: 'unpublished', key: `unpublished:${c.id}:${isoMinute(c.embargo)}`, caseId: c.id, reason, revision: c.advisory?.revision ?? null });
    }
    const overdue = isOverdue(c, now, input.maxEmbargoDays);
    if (c.leakedAt) add({ kind: 'abnormal', key: `abnormal:${c.id}:leaked`, caseId: c.id, reason: 'leaked' });

    for (const sid of c.stakeholders) {
      const s = input.stakeholders.find((x) => x.id === sid);
      if (!s) continue;
      const last = lastAnnounced.get(`${c.id}\u0000${sid}`);
      if (last) {
        const key = (label: string): string => `update:${c.id}:${sid}:${label}`;
        const u = updateFor(c, last, overdue, (label) => input.done.has(key(label)));
        if (u) add({ kind: 'update', key: key(u.label), caseId: c.id, stakeholder: sid, embargo: c.embargo, reason: u.reason });
        continue;
      }
      if (!c.embargo || closed(c.state) || c.leakedAt || c.embargo <= now) continue;
      const dueAt = noticeDue(c.embargo, s);
      const earliest = new Date(c.embargo.getTime() - s.maxDays * DAY);
      if (approved && now >= dueAt && now >= earliest) {
        add({ kind: 'pre-disclosure', key: `pre:${c.id}:${sid}`, caseId: c.id, stakeholder: sid, dueAt });
      } else if (!approved && now >= dueAt) {
        add({ kind: 'short-notice', key: `short:${c.id}:${sid}:${isoMinute(c.embargo)}`, caseId: c.id, stakeholder: sid });
      }
    }
  }
  if (input.digestMinute !== null) {
    const day = now.toISOString().slice(0, 10);
    const minute = now.getUTCHours() * 60 + now.getUTCMinutes();
    if (minute >= input.digestMinute) for (const coordinator of input.coordinators) add({ kind: 'digest', key: `digest:${coordinator}:${day}`, coordinator, day });
  }
  return actions;
}

/** The daily time of a cron expression of the form "M H * * *", in minutes after midnight; else null. */
export function dailyMinute(cron: string): number | null {
  const m = /^(\d{1,2})\s+(\d{1,2})\s+\*\s+\*\s+\*$/.exec(cron.trim());
  if (!m) return null;
  const minute = Number(m[1]);
  const hour = Number(m[2]);
  return minute < 60 && hour < 24 ? hour * 60 + minute : null;
}
