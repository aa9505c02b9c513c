// What `vmtd case list|show` shows of a case besides its row (store/case-view.ts): read with one
// query per table for all the cases shown, not a dozen per case (10,000 cases took seconds).
import type { Member } from '../cases/members.js';
import type { Credit } from '../cases/record.js';
import type { Db } from './db.js';

/** A notice as the case view lists it (its key names an update's reason); `embargo` is the date it announced. */
export interface NoticeRow {
  key: string;
  kind: string;
  stakeholder: string | null;
  state: 'planned' | 'sent' | 'failed' | 'cancelled';
  dueAt: string;
  sentAt: string | null;
  embargo: string | null;
}

/** One advisory revision, as the case view lists it. */
export interface RevisionRow {
  revision: number;
  state: string;
  createdAt: string;
  approvedAt: string | null;
  approvedBy: string | null;
}

/** The rows related to each case (by case ID), each list in the order the view shows it. */
export interface CaseRelated {
  cves: Map<string, string[]>;
  projects: Map<string, Array<{ id: string; status: string }>>;
  stakeholders: Map<string, string[]>;
  /** The latest pre-disclosure row per case and stakeholder (key `CASE\0STAKEHOLDER`). */
  preDisclosure: Map<string, { noticeAt: string | null; sentAt: string | null; state: string }>;
  extra: Map<string, { leakedAt: string | null; embargoOverride: string | null }>;
  members: Map<string, Member[]>;
  credits: Map<string, Credit[]>;
  /** Every notice but the calendar catch-up's claims, oldest first. */
  notices: Map<string, NoticeRow[]>;
  /** Every advisory revision, oldest first (the last is the case's advisory). */
  revisions: Map<string, RevisionRow[]>;
}

function grouped<R extends { caseId: string }, V>(rows: R[], value: (r: R) => V): Map<string, V[]> {
  const out = new Map<string, V[]>();
  for (const r of rows) {
    const list = out.get(r.caseId);
    if (list) list.push(value(r));
    else out.set(r.caseId, [value(r)]);
  }
  return out;
}

function tableExists(db: Db, name: string): boolean {
  return !!db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name);
}

/**
 * The related rows of one case (`caseId`), or of every case: the same queries either way, so
 * `case show` and `case list` cannot differ. Tables an old schema lacks (notices, advisories,
 * credits) give empty lists.
 */
export function caseRelated(db: Db, caseId?: string): CaseRelated {
  const where = (column: string): string => (caseId === undefined ? '' : ` WHERE ${column} = ?`);
  const and = (column: string): string => (caseId === undefined ? '' : ` AND ${column} = ?`);
  const args = caseId === undefined ? [] : [caseId];
  const all = <R>(sql: string): R[] => db.prepare(sql).all(...args) as R[];
  const notices = tableExists(db, 'notices');
  const advisories = tableExists(db, 'advisories');
  const preDisclosure = new Map<string, { noticeAt: string | null; sentAt: string | null; state: string }>();
  if (notices) {
    // Oldest first: the last row seen per case and stakeholder is the latest.
    for (const n of all<{ caseId: string; stakeholder: string; noticeAt: string | null; sentAt: string | null; state: string }>(
      `SELECT case_id AS caseId, stakeholder, due_at AS noticeAt, sent_at AS sentAt, state FROM notices WHERE kind = 'pre-disclosure'${and('case_id')} ORDER BY id`,
    )) {
      preDisclosure.set(`${n.caseId}\u0000${n.stakeholder}`, { noticeAt: n.noticeAt, sentAt: n.sentAt, state: n.state });
    }
  }
  return {
    cves: grouped(all<{ caseId: string; cve: string }>(`SELECT case_id AS caseId, cve FROM case_cves${where('case_id')} ORDER BY case_id, cve`), (r) => r.cve),
    projects: grouped(all<{ caseId: string; id: string; status: string }>(`SELECT case_id AS caseId, project_id AS id, status FROM case_projects${where('case_id')} ORDER BY case_id, project_id`), ({ id, status }) => ({ id, status })),
    stakeholders: grouped(all<{ caseId: string; id: string }>(`SELECT case_id AS caseId, stakeholder AS id FROM case_stakeholders${where('case_id')} ORDER BY case_id, stakeholder`), (r) => r.id),
    preDisclosure,
    extra: new Map(
      all<{ id: string; leakedAt: string | null; embargoOverride: string | null }>(`SELECT id, leaked_at AS leakedAt, embargo_override AS embargoOverride FROM cases${where('id')}`).map((r) => [
        r.id,
        { leakedAt: r.leakedAt, embargoOverride: r.embargoOverride },
      ]),
    ),
    // Coordinators first, as membersOf orders them.
    members: grouped(
      all<Omit<Member, 'pinned'> & { caseId: string; pinned: number }>(
        `SELECT case_id AS caseId, email, name, role, project_id AS projectId, fingerprint, pinned FROM members${where('case_id')}
         ORDER BY case_id, CASE role WHEN 'coordinator' THEN 0 WHEN 'reporter' THEN 1 WHEN 'project-contact' THEN 2 ELSE 3 END, added_at, email`,
      ),
      ({ caseId: _, ...m }) => ({ ...m, pinned: m.pinned === 1 }),
    ),
    credits: tableExists(db, 'case_credits') ? grouped(all<Credit & { caseId: string }>(`SELECT case_id AS caseId, email, text, type FROM case_credits${where('case_id')} ORDER BY rowid`), ({ email, text, type }) => ({ email, text, type })) : new Map(),
    notices: notices
      ? grouped(
          all<NoticeRow & { caseId: string }>(
            `SELECT case_id AS caseId, key, kind, stakeholder, state, due_at AS dueAt, sent_at AS sentAt, embargo FROM notices WHERE kind != 'calendar'${and('case_id')} ORDER BY id`,
          ),
          ({ caseId: _, ...n }) => n,
        )
      : new Map(),
    revisions: advisories
      ? grouped(
          all<RevisionRow & { caseId: string }>(
            `SELECT case_id AS caseId, revision, state, created_at AS createdAt, approved_at AS approvedAt, approved_by AS approvedBy FROM advisories${where('case_id')} ORDER BY case_id, revision`,
          ),
          ({ caseId: _, ...r }) => r,
        )
      : new Map(),
  };
}
