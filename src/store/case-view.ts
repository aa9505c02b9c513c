import type { Db } from './db.js';
import type { Sealer } from './seal.js';
import { caseCredits } from './case-records.js';
import { allCases, getCase, membersOf, messagesOf, type CaseRow, type MessageSummary } from './cases.js';

/** A case as `vmtd case show --json` prints it: field names are a contract (add, never rename). */
export interface CaseView {
  id: string;
  state: string;
  class: string | null;
  severity: string | null;
  title: string;
  createdAt: string;
  embargo: string | null;
  cves: string[];
  /** `pinned`: whether the fingerprint authorizes the member's commands (a reporter's is only once their own signed mail pinned it). */
  members: Array<{ role: string; email: string; name: string | null; fingerprint: string | null; pinned: boolean; project?: string }>;
  projects: Array<{ id: string; status: string }>;
  stakeholders: Array<{ id: string; noticeAt: string | null; sentAt: string | null }>;
  advisory: { state: string; revision: number } | null;
  mergedInto: string | null;
  /** Credits given by X-CREDIT: the credit line, its OSV type, and who gave it. */
  credits: Array<{ name: string; type: string; by: string }>;
  messages?: MessageSummary[];
}

function tableExists(db: Db, name: string): boolean {
  return !!db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name);
}

function view(db: Db, c: CaseRow, withMessages: boolean): CaseView {
  const cves = (db.prepare('SELECT cve FROM case_cves WHERE case_id = ? ORDER BY cve').all(c.id) as Array<{ cve: string }>).map((r) => r.cve);
  const projects = db.prepare('SELECT project_id AS id, status FROM case_projects WHERE case_id = ? ORDER BY project_id').all(c.id) as CaseView['projects'];
  const stakeholders = (db.prepare('SELECT stakeholder AS id FROM case_stakeholders WHERE case_id = ? ORDER BY stakeholder').all(c.id) as Array<{ id: string }>).map((s) => ({
    id: s.id,
    ...((tableExists(db, 'notices')
      ? (db.prepare("SELECT due_at AS noticeAt, sent_at AS sentAt FROM notices WHERE case_id = ? AND stakeholder = ? AND kind = 'pre-disclosure' ORDER BY id DESC LIMIT 1").get(c.id, s.id) as
          | { noticeAt: string | null; sentAt: string | null }
          | undefined)
      : undefined) ?? { noticeAt: null, sentAt: null }),
  }));
  const advisory = tableExists(db, 'advisories')
    ? ((db.prepare('SELECT state, revision FROM advisories WHERE case_id = ? ORDER BY revision DESC LIMIT 1').get(c.id) as CaseView['advisory'] | undefined) ?? null)
    : null;
  return {
    id: c.id,
    state: c.state,
    class: c.class,
    severity: c.severity,
    title: c.title,
    createdAt: c.createdAt,
    embargo: c.embargo,
    cves,
    members: membersOf(db, c.id).map((m) => ({ role: m.role, email: m.email, name: m.name, fingerprint: m.fingerprint, pinned: m.pinned, ...(m.projectId ? { project: m.projectId } : {}) })),
    projects,
    stakeholders,
    advisory,
    mergedInto: c.mergedInto,
    credits: tableExists(db, 'case_credits') ? caseCredits(db, c.id).map((x) => ({ name: x.text, type: x.type, by: x.email })) : [],
    ...(withMessages ? { messages: messagesOf(db, c.id) } : {}),
  };
}

/** One case as the JSON contract shows it, with its messages (no content). */
export function caseView(db: Db, sealer: Sealer, id: string): CaseView | undefined {
  const c = getCase(db, sealer, id);
  return c ? view(db, c, true) : undefined;
}

/** Every case as the JSON contract shows it, without messages. */
export function caseList(db: Db, sealer: Sealer): CaseView[] {
  return allCases(db, sealer).map((c) => view(db, c, false));
}
