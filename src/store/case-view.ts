import type { Db } from './db.js';
import { stateWord, type CaseKind } from '../cases/kind.js';
import { isCaseState } from '../cases/lifecycle.js';
import type { Sealer } from './seal.js';
import { caseCredits } from './case-records.js';
import { allCases, getCase, membersOf, messagesOf, type CaseRow, type MessageSummary } from './cases.js';
import { eventsOf, type EventRow } from './events.js';

/** A case as `vmtd case show --json` prints it: field names are a contract (add, never rename). */
export interface CaseView {
  id: string;
  /** The lifecycle state (cases/lifecycle.ts), whatever the kind: what tools compare. */
  state: string;
  /** vulnerability or incident (X-KIND). */
  kind: CaseKind;
  /** The state as people read it: an incident's word (reported, investigating, contained, disclosed …), else the state. */
  stateWord: string;
  class: string | null;
  severity: string | null;
  title: string;
  createdAt: string;
  embargo: string | null;
  cves: string[];
  /** `pinned`: whether the fingerprint authorizes the member's commands (a reporter's is only once their own signed mail pinned it). */
  members: Array<{ role: string; email: string; name: string | null; fingerprint: string | null; pinned: boolean; project?: string }>;
  projects: Array<{ id: string; status: string }>;
  /** `noticeAt`: when the pre-disclosure is due (null when none is planned, e.g. cancelled); `state`: that notice's state. */
  stakeholders: Array<{ id: string; noticeAt: string | null; sentAt: string | null; state?: string }>;
  advisory: { state: string; revision: number } | null;
  mergedInto: string | null;
  /** Credits given by X-CREDIT: the credit line, its OSV type, and who gave it. */
  credits: Array<{ name: string; type: string; by: string }>;
  /** When X-LEAKED recorded a leak, or null. */
  leakedAt: string | null;
  /** The reason an accepted X-EMBARGO-OVERRIDE gave, or null. */
  embargoOverride: string | null;
  /** Every notice of the case (pre-disclosure, update, publish, alerts …) with its state: planned, sent, failed or cancelled. */
  notices: NoticeView[];
  /** Every advisory revision, oldest first, with its state (draft, approved, withdrawn, published). */
  revisions: Array<{ revision: number; state: string; createdAt: string; approvedAt: string | null; approvedBy: string | null }>;
  messages?: MessageSummary[];
  /** The case's history (show only), oldest first: as `vmtd case events ID --json` prints it. */
  events?: EventRow[];
}

/** One notice: `embargo` is the date it announced (pre-disclosure, update), `reason` an update's label. */
export interface NoticeView {
  kind: string;
  stakeholder: string | null;
  state: 'planned' | 'sent' | 'failed' | 'cancelled';
  dueAt: string;
  sentAt: string | null;
  embargo: string | null;
  /** An update's reason or date label (from its key: leaked, published, overdue, or the new date). */
  reason?: string;
}

function tableExists(db: Db, name: string): boolean {
  return !!db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name);
}

function view(db: Db, c: CaseRow, withMessages: boolean): CaseView {
  const cves = (db.prepare('SELECT cve FROM case_cves WHERE case_id = ? ORDER BY cve').all(c.id) as Array<{ cve: string }>).map((r) => r.cve);
  const projects = db.prepare('SELECT project_id AS id, status FROM case_projects WHERE case_id = ? ORDER BY project_id').all(c.id) as CaseView['projects'];
  // A cancelled pre-disclosure is not pending: no noticeAt (its row is listed in notices).
  const stakeholders = (db.prepare('SELECT stakeholder AS id FROM case_stakeholders WHERE case_id = ? ORDER BY stakeholder').all(c.id) as Array<{ id: string }>).map((s) => {
    const n = tableExists(db, 'notices')
      ? (db.prepare("SELECT due_at AS noticeAt, sent_at AS sentAt, state FROM notices WHERE case_id = ? AND stakeholder = ? AND kind = 'pre-disclosure' ORDER BY id DESC LIMIT 1").get(c.id, s.id) as
          | { noticeAt: string | null; sentAt: string | null; state: string }
          | undefined)
      : undefined;
    return { id: s.id, noticeAt: n && n.state !== 'cancelled' ? n.noticeAt : null, sentAt: n?.sentAt ?? null, ...(n ? { state: n.state } : {}) };
  });
  const extra = db.prepare('SELECT leaked_at AS leakedAt, embargo_override AS embargoOverride FROM cases WHERE id = ?').get(c.id) as { leakedAt: string | null; embargoOverride: string | null };
  const advisory = tableExists(db, 'advisories')
    ? ((db.prepare('SELECT state, revision FROM advisories WHERE case_id = ? ORDER BY revision DESC LIMIT 1').get(c.id) as CaseView['advisory'] | undefined) ?? null)
    : null;
  return {
    id: c.id,
    state: c.state,
    kind: c.kind,
    stateWord: isCaseState(c.state) ? stateWord(c.kind, c.state) : c.state,
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
    leakedAt: extra.leakedAt,
    embargoOverride: extra.embargoOverride,
    notices: tableExists(db, 'notices') ? noticesOf(db, c.id) : [],
    revisions: tableExists(db, 'advisories')
      ? (db.prepare('SELECT revision, state, created_at AS createdAt, approved_at AS approvedAt, approved_by AS approvedBy FROM advisories WHERE case_id = ? ORDER BY revision').all(c.id) as CaseView['revisions'])
      : [],
    ...(withMessages ? { messages: messagesOf(db, c.id), events: eventsOf(db, c.id) } : {}),
  };
}

/** A case's notices, in the order they were planned or sent (the calendar catch-up's claims are events, not listed). */
function noticesOf(db: Db, caseId: string): NoticeView[] {
  const rows = db
    .prepare("SELECT key, kind, stakeholder, state, due_at AS dueAt, sent_at AS sentAt, embargo FROM notices WHERE case_id = ? AND kind != 'calendar' ORDER BY id")
    .all(caseId) as Array<Omit<NoticeView, 'reason'> & { key: string }>;
  return rows.map(({ key, ...n }) => (n.kind === 'update' ? { ...n, reason: key.split(':').slice(3).join(':') } : n));
}

/** One case as the JSON contract shows it, with its messages (no content) and events. */
export function caseView(db: Db, sealer: Sealer, id: string): CaseView | undefined {
  const c = getCase(db, sealer, id);
  return c ? view(db, c, true) : undefined;
}

/** Every case as the JSON contract shows it, without messages. */
export function caseList(db: Db, sealer: Sealer): CaseView[] {
  return allCases(db, sealer).map((c) => view(db, c, false));
}
