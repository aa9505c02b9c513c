import type { Db } from './db.js';
import { stateWord, type CaseKind } from '../cases/kind.js';
import { isCaseState } from '../cases/lifecycle.js';
import type { Sealer } from './seal.js';
import { caseRelated, type CaseRelated, type NoticeRow } from './case-related.js';
import { allCases, getCase, messagesOf, type CaseRow, type MessageSummary } from './cases.js';
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
export interface NoticeView extends Omit<NoticeRow, 'key'> {
  /** An update's reason or date label (from its key: leaked, published, overdue, or the new date). */
  reason?: string;
}

/** The state as people read it: an incident's word, else the state. */
const wordOf = (c: CaseRow): string => (isCaseState(c.state) ? stateWord(c.kind, c.state) : c.state);

function view(c: CaseRow, rel: CaseRelated, more?: Pick<CaseView, 'messages' | 'events'>): CaseView {
  const cves = rel.cves.get(c.id) ?? [];
  const projects = rel.projects.get(c.id) ?? [];
  // A cancelled pre-disclosure is not pending: no noticeAt (its row is listed in notices).
  const stakeholders = (rel.stakeholders.get(c.id) ?? []).map((id) => {
    const n = rel.preDisclosure.get(`${c.id}\u0000${id}`);
    return { id, noticeAt: n && n.state !== 'cancelled' ? n.noticeAt : null, sentAt: n?.sentAt ?? null, ...(n ? { state: n.state } : {}) };
  });
  const extra = rel.extra.get(c.id) ?? { leakedAt: null, embargoOverride: null };
  const last = rel.revisions.get(c.id)?.at(-1);
  const advisory = last ? { state: last.state, revision: last.revision } : null;
  return {
    id: c.id,
    state: c.state,
    kind: c.kind,
    stateWord: wordOf(c),
    class: c.class,
    severity: c.severity,
    title: c.title,
    createdAt: c.createdAt,
    embargo: c.embargo,
    cves,
    members: (rel.members.get(c.id) ?? []).map((m) => ({ role: m.role, email: m.email, name: m.name, fingerprint: m.fingerprint, pinned: m.pinned, ...(m.projectId ? { project: m.projectId } : {}) })),
    projects,
    stakeholders,
    advisory,
    mergedInto: c.mergedInto,
    credits: (rel.credits.get(c.id) ?? []).map((x) => ({ name: x.text, type: x.type, by: x.email })),
    leakedAt: extra.leakedAt,
    embargoOverride: extra.embargoOverride,
    notices: (rel.notices.get(c.id) ?? []).map(({ key, ...n }) => (n.kind === 'update' ? { ...n, reason: key.split(':').slice(3).join(':') } : n)),
    revisions: rel.revisions.get(c.id) ?? [],
    ...more,
  };
}

/** One case as the JSON contract shows it, with its messages (no content) and events. */
export function caseView(db: Db, sealer: Sealer, id: string): CaseView | undefined {
  const c = getCase(db, sealer, id);
  return c ? view(c, caseRelated(db, c.id), { messages: messagesOf(db, c.id), events: eventsOf(db, c.id) }) : undefined;
}

/** Every case as the JSON contract shows it, without messages: one query per table, whatever the number of cases. */
export function caseList(db: Db, sealer: Sealer): CaseView[] {
  const rel = caseRelated(db);
  return allCases(db, sealer).map((c) => view(c, rel));
}

/** A line of `vmtd case list`: what caseList gives of the case, with its number of members. */
export type CaseSummary = Pick<CaseView, 'id' | 'kind' | 'stateWord' | 'embargo' | 'title'> & { members: number };

/** Every case as `vmtd case list` prints it (oldest first, as caseList): its row and a count of its members, nothing else read. */
export function caseSummaries(db: Db, sealer: Sealer): CaseSummary[] {
  const members = new Map((db.prepare('SELECT case_id AS id, COUNT(*) AS n FROM members GROUP BY case_id').all() as Array<{ id: string; n: number }>).map((r) => [r.id, r.n]));
  return allCases(db, sealer).map((c) => ({ id: c.id, kind: c.kind, stateWord: wordOf(c), embargo: c.embargo, title: c.title, members: members.get(c.id) ?? 0 }));
}
