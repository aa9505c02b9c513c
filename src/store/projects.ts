import type { ProjectCaseFacts, ProjectContact, RegisteredProject } from '../cases/project.js';
import type { Db } from './db.js';

export type { ProjectContact, RegisteredProject };

/** The fields a change may set (undefined: unchanged). */
export interface ProjectChange {
  name?: string;
  policyAgreedAt?: string | null;
  active?: boolean;
  fixesUrl?: string | null;
}

interface Row {
  id: string;
  name: string;
  policy_agreed_at: string | null;
  active: number;
  fixes_url: string | null;
  source: string;
  created_at: string;
  updated_at: string;
}

function contactsOf(db: Db, id: string): ProjectContact[] {
  return db
    .prepare('SELECT email, name, fingerprint, source, added_at AS addedAt FROM project_contacts WHERE project_id = ? ORDER BY added_at, email')
    .all(id) as ProjectContact[];
}

const fromRow = (db: Db, r: Row): RegisteredProject => ({
  id: r.id,
  name: r.name,
  policyAgreedAt: r.policy_agreed_at,
  active: r.active === 1,
  fixesUrl: r.fixes_url,
  source: r.source,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  contacts: contactsOf(db, r.id),
});

/** Every registered project, by ID. Read from the database each time: CLI and mail changes count at once. */
export function listProjects(db: Db): RegisteredProject[] {
  return (db.prepare('SELECT * FROM projects ORDER BY id').all() as Row[]).map((r) => fromRow(db, r));
}

/** One project, or undefined. */
export function getProject(db: Db, id: string): RegisteredProject | undefined {
  const r = db.prepare('SELECT * FROM projects WHERE id = ?').get(id.toLowerCase()) as Row | undefined;
  return r ? fromRow(db, r) : undefined;
}

/** Adds a project; false when the ID is taken. */
export function insertProject(db: Db, p: { id: string; name: string; source: string } & ProjectChange, at: string): boolean {
  return (
    db
      .prepare('INSERT INTO projects (id, name, policy_agreed_at, active, fixes_url, source, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING')
      .run(p.id, p.name, p.policyAgreedAt ?? null, p.active === false ? 0 : 1, p.fixesUrl ?? null, p.source, at, at).changes > 0
  );
}

/** Changes the given fields of a project; false when there is no such project. */
export function updateProject(db: Db, id: string, c: ProjectChange, at: string): boolean {
  const cur = getProject(db, id);
  if (!cur) return false;
  db.prepare('UPDATE projects SET name = ?, policy_agreed_at = ?, active = ?, fixes_url = ?, updated_at = ? WHERE id = ?').run(
    c.name ?? cur.name,
    c.policyAgreedAt === undefined ? cur.policyAgreedAt : c.policyAgreedAt,
    (c.active ?? cur.active) ? 1 : 0,
    c.fixesUrl === undefined ? cur.fixesUrl : c.fixesUrl,
    at,
    id,
  );
  return true;
}

/** Removes a project and its contacts (the cases that named it keep their history). */
export function deleteProject(db: Db, id: string): boolean {
  return db.prepare('DELETE FROM projects WHERE id = ?').run(id).changes > 0;
}

/** Adds or re-pins a contact of a project (the fingerprint given now is the one pinned). */
export function upsertProjectContact(db: Db, projectId: string, c: Omit<ProjectContact, 'addedAt'>, at: string): void {
  db.prepare(
    `INSERT INTO project_contacts (project_id, email, name, fingerprint, source, added_at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT(project_id, email) DO UPDATE SET name = excluded.name, fingerprint = excluded.fingerprint, source = excluded.source`,
  ).run(projectId, c.email.toLowerCase(), c.name, c.fingerprint, c.source, at);
  db.prepare('UPDATE projects SET updated_at = ? WHERE id = ?').run(at, projectId);
}

/** Removes one contact of a project; false when it was none. */
export function deleteProjectContact(db: Db, projectId: string, email: string): boolean {
  return db.prepare('DELETE FROM project_contacts WHERE project_id = ? AND email = ?').run(projectId, email.toLowerCase()).changes > 0;
}

/** Registry contacts whose pinned key is `fingerprint` (for `vmtd keys show|remove`). */
export function projectContactsPinnedTo(db: Db, fingerprint: string): Array<{ projectId: string; email: string }> {
  return db.prepare('SELECT project_id AS projectId, email FROM project_contacts WHERE fingerprint = ? ORDER BY project_id, email').all(fingerprint.toUpperCase()) as Array<{ projectId: string; email: string }>;
}

/** A project the configuration names, with each contact's configured fingerprint. */
export interface SeedProject {
  id: string;
  name: string;
  contacts: Array<{ email: string; name: string; fingerprint: string | null }>;
}

/**
 * Seeds the registry from the configuration's `projects:` (at start and on reload), in one
 * transaction. A configured project is inserted when absent and keeps the configured name; its
 * configured contacts are (re)pinned to their configured fingerprint, and contacts the
 * configuration added before but names no longer are dropped. Contacts added by CLI or mail, the
 * policy date, the active flag and the fixes URL are the registry's own and stay. Projects the
 * configuration does not name are left alone: they are data now.
 */
export function seedProjects(db: Db, projects: SeedProject[], at: string): void {
  db.transaction(() => {
    for (const p of projects) {
      const cur = getProject(db, p.id);
      if (!cur) insertProject(db, { id: p.id, name: p.name, source: 'config' }, at);
      else if (cur.name !== p.name) db.prepare('UPDATE projects SET name = ?, updated_at = ? WHERE id = ?').run(p.name, at, p.id);
      const wanted = new Set(p.contacts.map((c) => c.email.toLowerCase()));
      for (const c of contactsOf(db, p.id)) if (c.source === 'config' && !wanted.has(c.email)) deleteProjectContact(db, p.id, c.email);
      for (const c of p.contacts) {
        const cur = contactsOf(db, p.id).find((x) => x.email === c.email.toLowerCase());
        if (cur && cur.source === 'config' && cur.fingerprint === c.fingerprint && cur.name === c.name) continue;
        upsertProjectContact(db, p.id, { email: c.email, name: c.name, fingerprint: c.fingerprint, source: 'config' }, at);
      }
    }
  })();
}

// A project's cases as its record needs them; `cp` is the case_projects row naming the project.
const caseFactsSql = `SELECT cp.project_id AS projectId, c.id AS caseId, c.state, c.created_at AS createdAt, c.embargo, c.updated_at AS updatedAt,
        (c.embargo_override IS NOT NULL AND c.embargo_override != '') AS overridden,
        (SELECT MIN(m.added_at) FROM members m WHERE m.case_id = c.id AND m.role = 'project-contact' AND m.project_id = cp.project_id) AS contactsAddedAt,
        (SELECT MIN(g.received_at) FROM messages g JOIN members m ON m.case_id = g.case_id AND m.email = g.from_addr
           WHERE g.case_id = c.id AND m.role = 'project-contact' AND m.project_id = cp.project_id AND g.kind != 'auto') AS firstResponseAt,
        (SELECT MIN(e.at) FROM events e WHERE e.case_id = c.id AND e.kind = 'command' AND json_extract(e.detail, '$.keyword') = 'PROJECT-STATUS'
           AND lower(json_extract(e.detail, '$.args')) LIKE cp.project_id || ' fixed%') AS fixedAt
 FROM case_projects cp JOIN cases c ON c.id = cp.case_id`;

type CaseFactsRow = Omit<ProjectCaseFacts, 'overridden'> & { overridden: number; projectId: string };
const toFacts = ({ projectId: _, ...r }: CaseFactsRow): ProjectCaseFacts => ({ ...r, overridden: r.overridden === 1 });

/** The facts of every case that names a project, for its record (cases/project.ts projectRecord), oldest first. */
export function projectCaseFacts(db: Db, projectId: string): ProjectCaseFacts[] {
  return (db.prepare(`${caseFactsSql} WHERE cp.project_id = ? ORDER BY c.created_at, c.id`).all(projectId) as CaseFactsRow[]).map(toFacts);
}

/**
 * The registered projects that have an open case, by ID, each with the facts of all its cases
 * (oldest first) that the digest's slow-project lines judge (a project without an open case is
 * never named there): as projectCaseFacts gives them, except `fixedAt`, always null (those lines
 * do not use the time to fix, the most costly fact). One pass over the contacts and their first
 * messages for all projects, not three lookups per case.
 */
export function openProjectsCaseFacts(db: Db): Array<{ id: string; cases: ProjectCaseFacts[] }> {
  const rows = db
    .prepare(
      `SELECT cp.project_id AS projectId, c.id AS caseId, c.state, c.created_at AS createdAt, c.embargo, c.updated_at AS updatedAt,
              (c.embargo_override IS NOT NULL AND c.embargo_override != '') AS overridden,
              r.addedAt AS contactsAddedAt, r.firstAt AS firstResponseAt, NULL AS fixedAt
       FROM case_projects cp JOIN cases c ON c.id = cp.case_id
       LEFT JOIN (SELECT m.case_id, m.project_id, MIN(m.added_at) AS addedAt, MIN(g.received_at) AS firstAt
                  FROM members m LEFT JOIN messages g ON g.case_id = m.case_id AND g.from_addr = m.email AND g.kind != 'auto'
                  WHERE m.role = 'project-contact' GROUP BY m.case_id, m.project_id) r ON r.case_id = cp.case_id AND r.project_id = cp.project_id
       WHERE cp.project_id IN (SELECT o.project_id FROM cases oc CROSS JOIN case_projects o ON o.case_id = oc.id
                                WHERE oc.state IN ('new', 'triaged', 'accepted', 'scheduled') AND o.project_id IN (SELECT id FROM projects))
       ORDER BY cp.project_id, c.created_at, c.id`,
    )
    .all() as CaseFactsRow[];
  const out: Array<{ id: string; cases: ProjectCaseFacts[] }> = [];
  for (const r of rows) {
    if (out.at(-1)?.id !== r.projectId) out.push({ id: r.projectId, cases: [] });
    out.at(-1)!.cases.push(toFacts(r));
  }
  return out;
}

/**
 * Writes the difference between two versions of the registry (a command message's draft), inside
 * the caller's transaction: projects added, changed or removed, and contacts added, re-pinned or removed.
 */
export function saveRegistry(db: Db, before: readonly RegisteredProject[], after: readonly RegisteredProject[], at: string): void {
  for (const b of before) if (!after.some((a) => a.id === b.id)) deleteProject(db, b.id);
  for (const a of after) {
    const b = before.find((x) => x.id === a.id);
    if (!b) insertProject(db, { id: a.id, name: a.name, source: a.source, policyAgreedAt: a.policyAgreedAt, active: a.active, fixesUrl: a.fixesUrl }, at);
    else if (b.name !== a.name || b.policyAgreedAt !== a.policyAgreedAt || b.active !== a.active || b.fixesUrl !== a.fixesUrl) {
      updateProject(db, a.id, { name: a.name, policyAgreedAt: a.policyAgreedAt, active: a.active, fixesUrl: a.fixesUrl }, at);
    }
    for (const c of b?.contacts ?? []) if (!a.contacts.some((x) => x.email === c.email)) deleteProjectContact(db, a.id, c.email);
    for (const c of a.contacts) {
      const old = b?.contacts.find((x) => x.email === c.email);
      if (!old || old.fingerprint !== c.fingerprint || old.name !== c.name || old.source !== c.source) upsertProjectContact(db, a.id, c, at);
    }
  }
}

/** Open cases as the deadline rule needs them, with what a reminder shows of their status (no content). */
export interface DeadlineFacts {
  id: string;
  state: string;
  createdAt: string;
  embargo: string | null;
  overridden: boolean;
  advisory: { revision: number; state: string } | null;
  projects: Array<{ id: string; status: string }>;
}

/** The open cases (new, triaged, accepted, scheduled) reported at or before `reportedUpTo` (ISO), for the disclosure-limit job. */
export function deadlineFacts(db: Db, reportedUpTo: string): DeadlineFacts[] {
  const rows = db
    .prepare(
      `SELECT c.id, c.state, c.created_at AS createdAt, c.embargo, (c.embargo_override IS NOT NULL AND c.embargo_override != '') AS overridden,
              a.revision, a.state AS advState
       FROM cases c LEFT JOIN advisories a ON a.case_id = c.id AND a.revision = (SELECT MAX(revision) FROM advisories WHERE case_id = c.id)
       WHERE c.state IN ('new', 'triaged', 'accepted', 'scheduled') AND c.created_at <= ? ORDER BY c.created_at`,
    )
    .all(reportedUpTo) as Array<{ id: string; state: string; createdAt: string; embargo: string | null; overridden: number; revision: number | null; advState: string | null }>;
  // One query for the projects of all of them (not one per case).
  const projects = new Map<string, Array<{ id: string; status: string }>>();
  const named = db.prepare('SELECT case_id AS caseId, project_id AS id, status FROM case_projects WHERE case_id IN (SELECT value FROM json_each(?)) ORDER BY project_id');
  for (const p of named.all(JSON.stringify(rows.map((r) => r.id))) as Array<{ caseId: string; id: string; status: string }>) {
    projects.set(p.caseId, [...(projects.get(p.caseId) ?? []), { id: p.id, status: p.status }]);
  }
  return rows.map((r) => ({
    id: r.id,
    state: r.state,
    createdAt: r.createdAt,
    embargo: r.embargo,
    overridden: r.overridden === 1,
    advisory: r.revision !== null && r.advState ? { revision: r.revision, state: r.advState } : null,
    projects: projects.get(r.id) ?? [],
  }));
}

/**
 * Keys of the deadline notices already claimed for the open cases reported at or before
 * `reportedUpTo` (the only ones the deadline rule looks at): `deadline:CASE:…`, each case's found
 * by a range of the notices' unique key.
 */
export function deadlineKeysDone(db: Db, reportedUpTo: string): Set<string> {
  const rows = db
    .prepare(
      `SELECT n.key FROM cases c JOIN notices n ON n.key > 'deadline:' || c.id || ':' AND n.key < 'deadline:' || c.id || ';'
       WHERE c.state IN ('new', 'triaged', 'accepted', 'scheduled') AND c.created_at <= ? AND n.state != 'planned'`,
    )
    .all(reportedUpTo) as Array<{ key: string }>;
  return new Set(rows.map((r) => r.key));
}

/**
 * Publishes a case at its disclosure limit as X-PUBLISH does: state published, the disclosure time
 * now; the planner then sends the approved advisory. False when the case is no longer accepted or
 * scheduled. Call inside the claiming transaction.
 */
export function publishAtLimit(db: Db, caseId: string, at: string): boolean {
  return db.prepare("UPDATE cases SET state = 'published', embargo = ?, updated_at = ? WHERE id = ? AND state IN ('accepted', 'scheduled')").run(at, at, caseId).changes > 0;
}
