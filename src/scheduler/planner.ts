import type { Config } from '../config/types.js';

/** A case as the planner sees it: facts only, no content. */
export interface PlanCase {
  id: string;
  state: string;
  createdAt: Date;
  embargo: Date | null;
  leakedAt: Date | null;
  advisory: { state: string; approvedAt: Date | null } | null;
  stakeholders: string[];
}

/** A pre-disclosure or update already sent: which embargo it announced. */
export interface Announced {
  caseId: string;
  stakeholder: string;
  embargo: string | null;
  at: Date;
}

export interface PlannerInput {
  now: Date;
  cases: PlanCase[];
  /** Keys of notices already sent (or claimed). */
  done: Set<string>;
  /** The last announcement per case and stakeholder, for update notices. */
  announced: Announced[];
  stakeholders: Config['stakeholders'];
  maxEmbargoDays: number;
  coordinators: string[];
  /** The daily digest time, UTC minutes after midnight; null for no digest. */
  digestMinute: number | null;
}

export type Action =
  | { kind: 'pre-disclosure'; key: string; caseId: string; stakeholder: string; dueAt: Date }
  | { kind: 'update'; key: string; caseId: string; stakeholder: string; embargo: Date | null; reason: 'moved' | 'cancelled' | 'leaked' | 'overdue' }
  | { kind: 'publish'; key: string; caseId: string }
  | { kind: 'abnormal'; key: string; caseId: string; reason: 'leaked' | 'overdue' }
  | { kind: 'short-notice'; key: string; caseId: string; stakeholder: string }
  | { kind: 'digest'; key: string; coordinator: string; day: string };

const DAY = 86_400_000;
/** How an announced embargo is recorded: minute precision, or 'none'. */
export const isoMinute = (d: Date | null): string => (d ? d.toISOString().slice(0, 16) + 'Z' : 'none');
const closed = (state: string): boolean => ['published', 'closed', 'rejected', 'duplicate'].includes(state);

/** When a stakeholder's pre-disclosure is due for an embargo: embargo − noticeDays. Pure. */
export function noticeDue(embargo: Date, noticeDays: number): Date {
  return new Date(embargo.getTime() - noticeDays * DAY);
}

/**
 * What is due at `now`, from the database's facts alone: pre-disclosure notices, updates after an
 * embargo moved, publication at the embargo, abnormal termination (leak, overdue), warnings, and
 * the coordinators' daily digest. Never returns an action whose key is already done, so running it
 * again — or after hours of downtime — sends each notice exactly once. Pure.
 */
export function plan(input: PlannerInput): Action[] {
  const { now } = input;
  const actions: Action[] = [];
  const add = (a: Action): void => {
    if (!input.done.has(a.key)) actions.push(a);
  };
  for (const c of input.cases) {
    const approved = c.advisory?.state === 'approved';
    // Publication: the embargo has ended for a scheduled case, or a coordinator published it.
    if ((c.state === 'scheduled' && c.embargo && c.embargo <= now) || (c.state === 'published' && approved)) {
      add({ kind: 'publish', key: `publish:${c.id}`, caseId: c.id });
    }
    const overdue = !closed(c.state) && now.getTime() >= c.createdAt.getTime() + input.maxEmbargoDays * DAY && c.embargo !== null;
    if (c.leakedAt) add({ kind: 'abnormal', key: `abnormal:${c.id}:leaked`, caseId: c.id, reason: 'leaked' });
    else if (overdue) add({ kind: 'abnormal', key: `abnormal:${c.id}:overdue`, caseId: c.id, reason: 'overdue' });

    for (const sid of c.stakeholders) {
      const s = input.stakeholders.find((x) => x.id === sid);
      if (!s) continue;
      const last = input.announced.filter((a) => a.caseId === c.id && a.stakeholder === sid).sort((a, b) => b.at.getTime() - a.at.getTime())[0];
      if (last) {
        const reason = c.leakedAt ? 'leaked' : overdue ? 'overdue' : c.embargo === null ? 'cancelled' : 'moved';
        // One update per change: the key names the new embargo, or the abnormal end.
        const label = c.leakedAt || overdue ? reason : isoMinute(c.embargo);
        const changed = c.leakedAt || overdue || last.embargo !== isoMinute(c.embargo);
        if (changed && (c.state !== 'published' || c.leakedAt)) add({ kind: 'update', key: `update:${c.id}:${sid}:${label}`, caseId: c.id, stakeholder: sid, embargo: c.embargo, reason });
        continue;
      }
      if (!c.embargo || closed(c.state) || c.leakedAt || c.embargo <= now) continue;
      const due = noticeDue(c.embargo, s.noticeDays);
      const earliest = new Date(c.embargo.getTime() - s.maxDays * DAY);
      if (approved && now >= due && now >= earliest) {
        add({ kind: 'pre-disclosure', key: `pre:${c.id}:${sid}`, caseId: c.id, stakeholder: sid, dueAt: due });
      } else if (!approved && now >= due) {
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
