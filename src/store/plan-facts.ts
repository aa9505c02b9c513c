import { changesByThis, commitsByOthers, type Db } from './db.js';
import type { Announced, PlanCase } from '../scheduler/planner.js';
import { isoMinute, noticeDue } from '../scheduler/planner.js';
import { openStates } from '../cases/lifecycle.js';
import type { Config } from '../config/types.js';

const d = (s: string | null): Date | null => (s ? new Date(s) : null);

const openList = openStates.map((s) => `'${s}'`).join(',');

type CaseColumns = [id: string, state: string, createdAt: string, embargo: string | null, leakedAt: string | null, embargoOverride: string | null];
type AdvisoryColumns = [caseId: string, revision: number, state: string, approvedAt: string | null];

/**
 * The planner's view of the database: cases that can still need work (open ones; published ones
 * whose approved advisory has not gone out, or whose told stakeholders may be owed word that
 * disclosure came early), each with its newest advisory revision and its newest published one,
 * without any content. Its cost follows those cases, not the database's history: open cases come
 * from their state's index, with their advisories and stakeholders each in one pass beside them;
 * published candidates from indexes (approved revisions, stakeholders told a later date than the
 * published one), then each is judged in full. Open cases come first, by state then as inserted,
 * then published ones as inserted.
 */
export function loadPlanCases(db: Db): PlanCase[] {
  // Rows as arrays (better-sqlite3's raw mode), in the columns' order: with 7,500 open cases, making
  // an object per row was ~12 ms; the one query that joined everything ~28 ms, these ~20 (issue 16).
  const open = db.prepare(`SELECT id, state, created_at, embargo, leaked_at, embargo_override FROM cases WHERE state IN (${openList}) ORDER BY state, rowid`).raw(true).all() as CaseColumns[];
  const openAdvisories = db
    .prepare(`SELECT a.case_id, a.revision, a.state, a.approved_at FROM cases c JOIN advisories a ON a.case_id = c.id WHERE c.state IN (${openList})`)
    .raw(true)
    .all() as AdvisoryColumns[];
  const openStakeholders = db
    .prepare(`SELECT s.case_id, s.stakeholder FROM cases c JOIN case_stakeholders s ON s.case_id = c.id WHERE c.state IN (${openList})`)
    .raw(true)
    .all() as Array<[caseId: string, stakeholder: string]>;
  const published = db
    .prepare(
      `WITH candidates(id) AS (
         SELECT case_id FROM advisories WHERE state = 'approved'
         UNION SELECT n.case_id FROM notices n JOIN cases p ON p.id = n.case_id
                WHERE n.kind IN ('pre-disclosure','update') AND n.state IN ('sent','failed') AND p.state = 'published'
                  AND (n.embargo = 'none' OR n.embargo > substr(p.embargo, 1, 16) || 'Z'))
       SELECT c.id, c.state, c.created_at, c.embargo, c.leaked_at, c.embargo_override
       FROM candidates k JOIN cases c ON c.id = k.id
       WHERE c.state = 'published' AND (
         (SELECT a.state FROM advisories a WHERE a.case_id = c.id ORDER BY a.revision DESC LIMIT 1) = 'approved'
         OR EXISTS (
           -- a told stakeholder whose last word named a later date (or none) and who has not heard it is public
           SELECT 1 FROM notices n WHERE n.case_id = c.id AND n.kind IN ('pre-disclosure','update') AND n.state IN ('sent','failed')
             AND n.id = (SELECT MAX(m.id) FROM notices m WHERE m.case_id = c.id AND m.stakeholder = n.stakeholder AND m.kind IN ('pre-disclosure','update') AND m.state IN ('sent','failed'))
             AND (n.embargo = 'none' OR n.embargo > substr(c.embargo, 1, 16) || 'Z')
             AND NOT EXISTS (SELECT 1 FROM notices u WHERE u.key = 'update:' || c.id || ':' || n.stakeholder || ':published')))
       ORDER BY c.rowid`,
    )
    .raw(true)
    .all() as CaseColumns[];
  const publishedIds = JSON.stringify(published.map((c) => c[0]));
  const advisories = published.length === 0 ? openAdvisories : [...openAdvisories, ...(db.prepare('SELECT case_id, revision, state, approved_at FROM advisories WHERE case_id IN (SELECT value FROM json_each(?))').raw(true).all(publishedIds) as AdvisoryColumns[])];
  const stakeholderRows = published.length === 0 ? openStakeholders : [...openStakeholders, ...(db.prepare('SELECT case_id, stakeholder FROM case_stakeholders WHERE case_id IN (SELECT value FROM json_each(?))').raw(true).all(publishedIds) as Array<[string, string]>)];

  const newest = new Map<string, AdvisoryColumns>();
  const newestPublished = new Map<string, number>();
  for (const a of advisories) {
    if ((newest.get(a[0])?.[1] ?? -Infinity) < a[1]) newest.set(a[0], a);
    if (a[2] === 'published' && (newestPublished.get(a[0]) ?? -Infinity) < a[1]) newestPublished.set(a[0], a[1]);
  }
  const stakeholders = new Map<string, string[]>();
  for (const [caseId, stakeholder] of stakeholderRows) {
    const list = stakeholders.get(caseId);
    if (list) list.push(stakeholder);
    else stakeholders.set(caseId, [stakeholder]);
  }
  const planCase = ([id, state, createdAt, embargo, leakedAt, embargoOverride]: CaseColumns): PlanCase => {
    const a = newest.get(id);
    return {
      id,
      state,
      createdAt: new Date(createdAt),
      embargo: d(embargo),
      leakedAt: d(leakedAt),
      overridden: embargoOverride !== null && embargoOverride !== '',
      advisory: a ? { revision: a[1], state: a[2], approvedAt: d(a[3]) } : null,
      publishedRevision: newestPublished.get(id) ?? null,
      stakeholders: stakeholders.get(id)?.sort() ?? [],
    };
  };
  return [...open.map(planCase), ...published.map(planCase)];
}

/**
 * Keys of the finished notices (sent, failed or cancelled: never planned again) the planner can
 * ask about for these cases: theirs, and the coordinators' digests. Every notice the planner
 * claims carries its case (the digest none), so this is what it would find in all of them.
 */
export function doneKeys(db: Db, caseIds: readonly string[]): Set<string> {
  const rows = db
    .prepare(
      `SELECT key FROM notices WHERE state != 'planned' AND case_id IN (SELECT value FROM json_each(?))
       UNION ALL SELECT key FROM notices WHERE key >= 'digest:' AND key < 'digest;' AND state != 'planned'`,
    )
    .all(JSON.stringify(caseIds)) as Array<{ key: string }>;
  return new Set(rows.map((r) => r.key));
}

/** Pre-disclosures and updates sent for these cases, with the embargo each announced. */
export function announcements(db: Db, caseIds: readonly string[]): Announced[] {
  return (
    db
      .prepare("SELECT case_id, stakeholder, embargo, sent_at FROM notices WHERE case_id IN (SELECT value FROM json_each(?)) AND kind IN ('pre-disclosure','update') AND state IN ('sent','failed')")
      .all(JSON.stringify(caseIds)) as Array<{
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
export function syncPlannedNotices(db: Db, cases: readonly PlanCase[], stakeholders: Config['stakeholders']): void {
  // Most passes change nothing: compare with what is stored and write only the differences, so a
  // steady pass takes no write lock. Read: every planned row (they are few: one per pending
  // pre-disclosure, and those to cancel), and the finished ones of the cases that want some (a
  // cancelled one is planned again; a sent or failed one never is) — not every cancelled row in
  // the history, and no write for a pre-disclosure that already went out.
  const embargoed = cases.filter((c) => c.embargo && !c.leakedAt && c.state !== 'published');
  const planned = new Map(
    (db.prepare("SELECT key, embargo, due_at FROM notices WHERE kind = 'pre-disclosure' AND state = 'planned'").raw(true).all() as Array<[key: string, embargo: string | null, dueAt: string | null]>).map((r) => [r[0], r]),
  );
  const finished = new Map(
    db
      .prepare("SELECT key, state FROM notices WHERE kind = 'pre-disclosure' AND state != 'planned' AND case_id IN (SELECT value FROM json_each(?))")
      .raw(true)
      .all(JSON.stringify(embargoed.map((c) => c.id))) as Array<[key: string, state: string]>,
  );
  const byId = new Map<string, Config['stakeholders'][number]>();
  for (const x of stakeholders) if (!byId.has(x.id)) byId.set(x.id, x);
  const writes: Array<[key: string, caseId: string, stakeholder: string, embargo: string, due: string]> = [];
  const wanted = new Set<string>();
  for (const c of embargoed) {
    const embargo = isoMinute(c.embargo);
    for (const sid of c.stakeholders) {
      const s = byId.get(sid);
      if (!s) continue;
      const key = `pre:${c.id}:${sid}`;
      wanted.add(key);
      const due = noticeDue(c.embargo!, s).toISOString();
      const row = planned.get(key);
      if (row ? row[1] !== embargo || row[2] !== due : finished.get(key) !== 'sent' && finished.get(key) !== 'failed') writes.push([key, c.id, sid, embargo, due]);
    }
  }
  const cancels = [...planned.keys()].filter((key) => !wanted.has(key));
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

/** What a planner pass reads of the database (loadPlanCases, doneKeys, announcements of those cases). */
export interface PlanReads {
  readonly cases: readonly PlanCase[];
  readonly done: ReadonlySet<string>;
  readonly announced: readonly Announced[];
}

const lastReads = new WeakMap<Db, { version: string; stakeholders: Config['stakeholders']; reads: PlanReads }>();

/**
 * The planner's reads, with the planned pre-disclosure rows brought up to date for them
 * (syncPlannedNotices). A pass over a database that has not changed since the previous pass read
 * it (no commit by another process, no row written by this one), with the same stakeholders configured, gets that pass's reads again: they
 * would be the same, and the rows are already up to date. With 7,500 open cases reading was ~¾ of
 * a pass (issue 16); time-dependent decisions are still made anew by every pass (plan, deadlines).
 * The reads are shared between passes: callers must not change them.
 */
export function planReads(db: Db, stakeholders: Config['stakeholders']): PlanReads {
  const others = commitsByOthers(db);
  const kept = lastReads.get(db);
  if (kept && kept.stakeholders === stakeholders && kept.version === `${others}:${changesByThis(db)}`) return kept.reads;
  const cases = loadPlanCases(db);
  syncPlannedNotices(db, cases, stakeholders);
  const ids = cases.map((c) => c.id);
  const reads: PlanReads = { cases, done: doneKeys(db, ids), announced: announcements(db, ids) };
  // Other processes' commits as of before the reads (one made while they ran, which they may have
  // missed, makes the next pass read again); this connection's writes (the sync's) as of after them.
  lastReads.set(db, { version: `${others}:${changesByThis(db)}`, stakeholders, reads });
  return reads;
}
