import type { Db } from './db.js';
import type { Announced, PlanCase } from '../scheduler/planner.js';
import { isoMinute, noticeDue } from '../scheduler/planner.js';
import { openStates } from '../cases/lifecycle.js';
import type { Config } from '../config/types.js';

const d = (s: string | null): Date | null => (s ? new Date(s) : null);

/**
 * The planner's view of the database: cases that can still need work (open ones; published ones
 * whose approved advisory has not gone out, or whose told stakeholders may be owed word that
 * disclosure came early), without any content. Cheap: four queries.
 */
export function loadPlanCases(db: Db): PlanCase[] {
  const rows = db
    .prepare(
      `SELECT c.id, c.state, c.created_at, c.embargo, c.leaked_at, c.embargo_override, a.revision AS adv_revision, a.state AS adv_state, a.approved_at
       FROM cases c LEFT JOIN advisories a ON a.case_id = c.id AND a.revision = (SELECT MAX(revision) FROM advisories WHERE case_id = c.id)
       WHERE c.state IN (${openStates.map((s) => `'${s}'`).join(',')})
          OR (c.state = 'published' AND (a.state = 'approved' OR EXISTS (
               -- a told stakeholder whose last word named a later date (or none) and who has not heard it is public
               SELECT 1 FROM notices n WHERE n.case_id = c.id AND n.kind IN ('pre-disclosure','update') AND n.state IN ('sent','failed')
                 AND n.id = (SELECT MAX(m.id) FROM notices m WHERE m.case_id = c.id AND m.stakeholder = n.stakeholder AND m.kind IN ('pre-disclosure','update') AND m.state IN ('sent','failed'))
                 AND (n.embargo = 'none' OR n.embargo > substr(c.embargo, 1, 16) || 'Z')
                 AND NOT EXISTS (SELECT 1 FROM notices u WHERE u.key = 'update:' || c.id || ':' || n.stakeholder || ':published'))))`,
    )
    .all() as Array<{
    id: string;
    state: string;
    created_at: string;
    embargo: string | null;
    leaked_at: string | null;
    embargo_override: string | null;
    adv_revision: number | null;
    adv_state: string | null;
    approved_at: string | null;
  }>;
  const stakeholders = new Map<string, string[]>();
  for (const r of db.prepare('SELECT case_id, stakeholder FROM case_stakeholders ORDER BY stakeholder').all() as Array<{ case_id: string; stakeholder: string }>) {
    stakeholders.set(r.case_id, [...(stakeholders.get(r.case_id) ?? []), r.stakeholder]);
  }
  return rows.map((r) => ({
    id: r.id,
    state: r.state,
    createdAt: new Date(r.created_at),
    embargo: d(r.embargo),
    leakedAt: d(r.leaked_at),
    overridden: r.embargo_override !== null && r.embargo_override !== '',
    advisory: r.adv_state && r.adv_revision !== null ? { revision: r.adv_revision, state: r.adv_state, approvedAt: d(r.approved_at) } : null,
    stakeholders: stakeholders.get(r.id) ?? [],
  }));
}

/** Keys of notices that are finished (sent, failed or cancelled): never planned again. */
export function doneKeys(db: Db): Set<string> {
  return new Set((db.prepare("SELECT key FROM notices WHERE state != 'planned'").all() as Array<{ key: string }>).map((r) => r.key));
}

/** Pre-disclosures and updates sent, with the embargo each announced. */
export function announcements(db: Db): Announced[] {
  return (
    db.prepare("SELECT case_id, stakeholder, embargo, sent_at FROM notices WHERE kind IN ('pre-disclosure','update') AND state IN ('sent','failed')").all() as Array<{
      case_id: string;
      stakeholder: string;
      embargo: string | null;
      sent_at: string;
    }>
  ).map((r) => ({ caseId: r.case_id, stakeholder: r.stakeholder, embargo: r.embargo, at: new Date(r.sent_at) }));
}

/**
 * Keeps one `planned` row per pending pre-disclosure, with its due time (embargo − the stakeholder's notice window), so
 * `vmtd case show` can say when each stakeholder will be told. Rows of cases that lost their
 * embargo or stakeholder are cancelled.
 */
export function syncPlannedNotices(db: Db, cases: PlanCase[], stakeholders: Config['stakeholders']): void {
  // Most passes change nothing: compare with what is stored and write only the differences, so a
  // steady pass takes no write lock.
  type Stored = { key: string; embargo: string | null; due_at: string | null; state: string };
  const rows = db.prepare("SELECT key, embargo, due_at, state FROM notices WHERE kind = 'pre-disclosure' AND state IN ('planned', 'cancelled')").all() as Stored[];
  const stored = new Map(rows.map((r) => [r.key, r]));
  const writes: Array<[key: string, caseId: string, stakeholder: string, embargo: string, due: string]> = [];
  const wanted = new Set<string>();
  for (const c of cases) {
    if (!c.embargo || c.leakedAt || c.state === 'published') continue;
    for (const sid of c.stakeholders) {
      const s = stakeholders.find((x) => x.id === sid);
      if (!s) continue;
      const key = `pre:${c.id}:${sid}`;
      wanted.add(key);
      const embargo = isoMinute(c.embargo);
      const due = noticeDue(c.embargo, s).toISOString();
      const row = stored.get(key);
      if (!row || row.state !== 'planned' || row.embargo !== embargo || row.due_at !== due) writes.push([key, c.id, sid, embargo, due]);
    }
  }
  const cancels = rows.filter((r) => r.state === 'planned' && !wanted.has(r.key)).map((r) => r.key);
  if (writes.length === 0 && cancels.length === 0) return;
  const upsert = db.prepare(
    `INSERT INTO notices (key, case_id, kind, stakeholder, embargo, due_at, state) VALUES (?, ?, 'pre-disclosure', ?, ?, ?, 'planned')
     ON CONFLICT(key) DO UPDATE SET embargo = excluded.embargo, due_at = excluded.due_at, state = 'planned' WHERE notices.state IN ('planned', 'cancelled')`,
  );
  const cancel = db.prepare("UPDATE notices SET state = 'cancelled' WHERE key = ? AND state = 'planned'");
  db.transaction(() => {
    for (const w of writes) upsert.run(...w);
    for (const key of cancels) cancel.run(key);
  })();
}
