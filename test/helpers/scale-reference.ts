// The store's reads as they were before issue 16 made them scale (whole-table scans, one query
// per case): the reference test/store/scale-equivalence.test.ts compares the new ones with.
import type { ProjectCaseFacts } from '../../src/cases/project.js';
import type { Announced, PlanCase } from '../../src/scheduler/planner.js';
import type { Db } from '../../src/store/db.js';

const d = (s: string | null): Date | null => (s ? new Date(s) : null);

/** loadPlanCases with publishedRevisions merged in, before issue 16. */
export function oldPlanCases(db: Db): PlanCase[] {
  const published = new Map(
    (db.prepare("SELECT case_id AS caseId, MAX(revision) AS revision FROM advisories WHERE state = 'published' GROUP BY case_id").all() as Array<{ caseId: string; revision: number }>).map((r) => [r.caseId, r.revision]),
  );
  const rows = db
    .prepare(
      `SELECT c.id, c.state, c.created_at, c.embargo, c.leaked_at, c.embargo_override, a.revision AS adv_revision, a.state AS adv_state, a.approved_at
       FROM cases c LEFT JOIN advisories a ON a.case_id = c.id AND a.revision = (SELECT MAX(revision) FROM advisories WHERE case_id = c.id)
       WHERE c.state IN ('new','triaged','accepted','scheduled')
          OR (c.state = 'published' AND (a.state = 'approved' OR EXISTS (
               SELECT 1 FROM notices n WHERE n.case_id = c.id AND n.kind IN ('pre-disclosure','update') AND n.state IN ('sent','failed')
                 AND n.id = (SELECT MAX(m.id) FROM notices m WHERE m.case_id = c.id AND m.stakeholder = n.stakeholder AND m.kind IN ('pre-disclosure','update') AND m.state IN ('sent','failed'))
                 AND (n.embargo = 'none' OR n.embargo > substr(c.embargo, 1, 16) || 'Z')
                 AND NOT EXISTS (SELECT 1 FROM notices u WHERE u.key = 'update:' || c.id || ':' || n.stakeholder || ':published'))))`,
    )
    .all() as Array<{ id: string; state: string; created_at: string; embargo: string | null; leaked_at: string | null; embargo_override: string | null; adv_revision: number | null; adv_state: string | null; approved_at: string | null }>;
  const stakeholders = new Map<string, string[]>();
  for (const r of db.prepare('SELECT case_id, stakeholder FROM case_stakeholders ORDER BY stakeholder').all() as Array<{ case_id: string; stakeholder: string }>) {
    stakeholders.set(r.case_id, [...(stakeholders.get(r.case_id) ?? []), r.stakeholder]);
  }
  // PlanCase, field by field.
  return rows.map(({ created_at, leaked_at, embargo_override, adv_revision: revision, adv_state, approved_at, ...r }) => {
    const advisory = adv_state && revision !== null ? { revision, state: adv_state, approvedAt: d(approved_at) } : null;
    return { ...r, createdAt: new Date(created_at), embargo: d(r.embargo), leakedAt: d(leaked_at), overridden: !!embargo_override, advisory, publishedRevision: published.get(r.id) ?? null, stakeholders: stakeholders.get(r.id) ?? [] };
  });
}

/** Every finished notice's key. */
export function oldDoneKeys(db: Db): Set<string> {
  return new Set((db.prepare("SELECT key FROM notices WHERE state != 'planned'").all() as Array<{ key: string }>).map((r) => r.key));
}

/** Every pre-disclosure and update ever sent. */
export function oldAnnouncements(db: Db): Announced[] {
  return (db.prepare("SELECT case_id, stakeholder, embargo, sent_at FROM notices WHERE kind IN ('pre-disclosure','update') AND state IN ('sent','failed')").all() as Array<{ case_id: string; stakeholder: string; embargo: string | null; sent_at: string }>).map(
    (r) => ({ caseId: r.case_id, stakeholder: r.stakeholder, embargo: r.embargo, at: new Date(r.sent_at) }),
  );
}

/** Every deadline key claimed. */
export function oldDeadlineKeysDone(db: Db): Set<string> {
  return new Set((db.prepare("SELECT key FROM notices WHERE key LIKE 'deadline:%' AND state != 'planned'").all() as Array<{ key: string }>).map((r) => r.key));
}

/** Cases whose standing calendar event is out of date, by the last event per case. */
export function oldCalendarsOutOfDate(db: Db): Array<{ id: string; state: string; embargo: string | null }> {
  return db
    .prepare(
      `SELECT c.id, c.state, c.embargo FROM cases c
       JOIN (SELECT case_id, MAX(id) AS last FROM events WHERE kind = 'calendar' GROUP BY case_id) l ON l.case_id = c.id
       JOIN events e ON e.id = l.last
       WHERE json_extract(e.detail, '$.method') = 'REQUEST'
         AND (c.state IN ('published', 'closed', 'rejected', 'duplicate') OR c.embargo IS NULL OR c.embargo != json_extract(e.detail, '$.embargo'))
       ORDER BY c.id`,
    )
    .all() as Array<{ id: string; state: string; embargo: string | null }>;
}

/** Every class A case with its CVEs and latest request. */
export function oldCveFacts(db: Db): Array<{ id: string; state: string; class: string | null; cves: string[]; requestedAt: Date | null }> {
  const rows = db
    .prepare(
      `SELECT c.id, c.state, c.class, (SELECT group_concat(cve) FROM case_cves v WHERE v.case_id = c.id) AS cves,
              (SELECT max(at) FROM events e WHERE e.case_id = c.id AND e.kind = 'cve-requested') AS requested
       FROM cases c WHERE c.class = 'A' ORDER BY c.id`,
    )
    .all() as Array<{ id: string; state: string; class: string | null; cves: string | null; requested: string | null }>;
  return rows.map((r) => ({ id: r.id, state: r.state, class: r.class, cves: r.cves ? r.cves.split(',') : [], requestedAt: r.requested ? new Date(r.requested) : null }));
}

/** Every registered project with the facts of its cases, one query per project. */
export function oldProjectFacts(db: Db, caseFacts: (id: string) => ProjectCaseFacts[]): Array<{ id: string; cases: ProjectCaseFacts[] }> {
  return (db.prepare('SELECT id FROM projects ORDER BY id').all() as Array<{ id: string }>).map((p) => ({ id: p.id, cases: caseFacts(p.id) }));
}

/** One case's view fields as `case show` read them, one query each. */
export function oldCaseFields(db: Db, id: string): Record<string, unknown> {
  const all = (sql: string, ...args: unknown[]): unknown[] => db.prepare(sql).all(id, ...args);
  const stakeholders = (all('SELECT stakeholder AS id FROM case_stakeholders WHERE case_id = ? ORDER BY stakeholder') as Array<{ id: string }>).map((s) => {
    const n = db.prepare("SELECT due_at AS noticeAt, sent_at AS sentAt, state FROM notices WHERE case_id = ? AND stakeholder = ? AND kind = 'pre-disclosure' ORDER BY id DESC LIMIT 1").get(id, s.id) as
      | { noticeAt: string | null; sentAt: string | null; state: string }
      | undefined;
    return { id: s.id, noticeAt: n && n.state !== 'cancelled' ? n.noticeAt : null, sentAt: n?.sentAt ?? null, ...(n ? { state: n.state } : {}) };
  });
  const members = all(
    `SELECT email, name, role, project_id AS projectId, fingerprint, pinned FROM members WHERE case_id = ?
     ORDER BY CASE role WHEN 'coordinator' THEN 0 WHEN 'reporter' THEN 1 WHEN 'project-contact' THEN 2 ELSE 3 END, added_at, email`,
  ) as Array<{ email: string; name: string | null; role: string; projectId: string | null; fingerprint: string | null; pinned: number }>;
  const notices = all("SELECT key, kind, stakeholder, state, due_at AS dueAt, sent_at AS sentAt, embargo FROM notices WHERE case_id = ? AND kind != 'calendar' ORDER BY id") as Array<{ key: string; kind: string }>;
  return {
    cves: (all('SELECT cve FROM case_cves WHERE case_id = ? ORDER BY cve') as Array<{ cve: string }>).map((r) => r.cve),
    members: members.map((m) => ({ role: m.role, email: m.email, name: m.name, fingerprint: m.fingerprint, pinned: m.pinned === 1, ...(m.projectId ? { project: m.projectId } : {}) })),
    projects: all('SELECT project_id AS id, status FROM case_projects WHERE case_id = ? ORDER BY project_id'),
    stakeholders,
    advisory: db.prepare('SELECT state, revision FROM advisories WHERE case_id = ? ORDER BY revision DESC LIMIT 1').get(id) ?? null,
    credits: (all('SELECT email, text, type FROM case_credits WHERE case_id = ? ORDER BY rowid') as Array<{ email: string; text: string; type: string }>).map((x) => ({ name: x.text, type: x.type, by: x.email })),
    notices: notices.map(({ key, ...n }) => (n.kind === 'update' ? { ...n, reason: key.split(':').slice(3).join(':') } : n)),
    revisions: all('SELECT revision, state, created_at AS createdAt, approved_at AS approvedAt, approved_by AS approvedBy FROM advisories WHERE case_id = ? ORDER BY revision'),
  };
}

/** The open cases that have projects (every state but the four closed ones), with statuses and latest advisory state. */
export function oldFixFacts(db: Db): Array<{ id: string; state: string; projects: Record<string, string>; advisoryState: string | null }> {
  const rows = db
    .prepare(
      `SELECT c.id, c.state, p.project_id, p.status, (SELECT a.state FROM advisories a WHERE a.case_id = c.id ORDER BY a.revision DESC LIMIT 1) AS advisory
       FROM cases c JOIN case_projects p ON p.case_id = c.id WHERE c.state NOT IN ('published', 'closed', 'rejected', 'duplicate') ORDER BY c.id, p.project_id`,
    )
    .all() as Array<{ id: string; state: string; project_id: string; status: string; advisory: string | null }>;
  const byId = new Map<string, { id: string; state: string; projects: Record<string, string>; advisoryState: string | null }>();
  for (const r of rows) {
    const c = byId.get(r.id) ?? { id: r.id, state: r.state, projects: {}, advisoryState: r.advisory };
    c.projects[r.project_id] = r.status;
    byId.set(r.id, c);
  }
  return [...byId.values()];
}
