import { isCaseKind, type CaseKind } from '../cases/kind.js';
import type { Member } from '../cases/members.js';
import { statement, type Db } from './db.js';
import type { Stored } from './blob-files.js';
import type { Sealer } from './seal.js';

export interface CaseRow {
  id: string;
  state: string;
  /** vulnerability or incident (migration 10). */
  kind: CaseKind;
  class: string | null;
  severity: string | null;
  title: string;
  createdAt: string;
  updatedAt: string;
  embargo: string | null;
  mergedInto: string | null;
  reporter: string | null;
}

/** Formats a case ID: PREFIX-YYYY-NNNN (at least four digits). */
export function formatCaseId(prefix: string, year: number, seq: number): string {
  return `${prefix}-${year}-${String(seq).padStart(4, '0')}`;
}

/** The ID the next case of `year` will get, without taking it. */
export function peekCaseId(db: Db, prefix: string, year: number): string {
  const row = statement(db, 'SELECT last FROM case_seq WHERE year = ?').get(year) as { last: number } | undefined;
  return formatCaseId(prefix, year, (row?.last ?? 0) + 1);
}

/** Takes the next case ID of `year`; call inside a transaction. */
export function takeCaseId(db: Db, prefix: string, year: number): string {
  statement(db, 'INSERT INTO case_seq (year, last) VALUES (?, 1) ON CONFLICT(year) DO UPDATE SET last = last + 1').run(year);
  const row = statement(db, 'SELECT last FROM case_seq WHERE year = ?').get(year) as { last: number };
  return formatCaseId(prefix, year, row.last);
}

export interface NewCase {
  id: string;
  title: string;
  reporter: string | null;
  at: string;
}

/** Inserts a new case in state `new`; the title is sealed (it comes from an embargoed report). */
export function insertCase(db: Db, sealer: Sealer, c: NewCase): void {
  statement(db, "INSERT INTO cases (id, state, title_sealed, created_at, updated_at, reporter) VALUES (?, 'new', ?, ?, ?, ?)").run(
    c.id,
    sealer.seal(c.title),
    c.at,
    c.at,
    c.reporter,
  );
}

interface RawCase {
  id: string;
  state: string;
  kind?: string;
  class: string | null;
  severity: string | null;
  title_sealed: Buffer | null;
  created_at: string;
  updated_at: string;
  embargo: string | null;
  merged_into: string | null;
  reporter: string | null;
}

function toCase(sealer: Sealer, r: RawCase): CaseRow {
  return {
    id: r.id,
    state: r.state,
    kind: r.kind && isCaseKind(r.kind) ? r.kind : 'vulnerability',
    class: r.class,
    severity: r.severity,
    title: r.title_sealed ? sealer.open(r.title_sealed).toString('utf8') : '',
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    embargo: r.embargo,
    mergedInto: r.merged_into,
    reporter: r.reporter,
  };
}

/** One case by ID (case-insensitive), or undefined. */
export function getCase(db: Db, sealer: Sealer, id: string): CaseRow | undefined {
  const r = statement(db, 'SELECT * FROM cases WHERE id = ?').get(id.toUpperCase()) as RawCase | undefined;
  return r ? toCase(sealer, r) : undefined;
}

/** All cases, oldest first. */
export function allCases(db: Db, sealer: Sealer): CaseRow[] {
  return (statement(db, 'SELECT * FROM cases ORDER BY created_at, id').all() as RawCase[]).map((r) => toCase(sealer, r));
}

/** Adds (or updates the role and key of) a member of a case. */
export function upsertMember(db: Db, caseId: string, m: Member, at: string): void {
  statement(db, 
    `INSERT INTO members (case_id, email, name, role, project_id, fingerprint, pinned, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT(case_id, email) DO UPDATE SET name = excluded.name, role = excluded.role, project_id = excluded.project_id,
       fingerprint = COALESCE(excluded.fingerprint, members.fingerprint), pinned = excluded.pinned`,
  ).run(caseId, m.email.toLowerCase(), m.name, m.role, m.projectId, m.fingerprint, m.pinned ? 1 : 0, at);
}

/** Names a project in a case (status unknown until its contacts say). */
export function addCaseProject(db: Db, caseId: string, projectId: string): void {
  statement(db, 'INSERT OR IGNORE INTO case_projects (case_id, project_id) VALUES (?, ?)').run(caseId, projectId);
}

/** Removes a member; returns whether one was removed. */
export function removeMember(db: Db, caseId: string, email: string): boolean {
  return statement(db, 'DELETE FROM members WHERE case_id = ? AND email = ?').run(caseId, email.toLowerCase()).changes > 0;
}

/** A case's members, coordinators first. */
export function membersOf(db: Db, caseId: string): Member[] {
  return (statement(db, 
      `SELECT email, name, role, project_id AS projectId, fingerprint, pinned FROM members WHERE case_id = ?
       ORDER BY CASE role WHEN 'coordinator' THEN 0 WHEN 'reporter' THEN 1 WHEN 'project-contact' THEN 2 ELSE 3 END, added_at, email`,
    )
    .all(caseId) as Array<Omit<Member, 'pinned'> & { pinned: number }>).map((m) => ({ ...m, pinned: m.pinned === 1 }));
}

/** The case a message or outgoing mail with this Message-ID belongs to, if any. */
export function caseOfMessageId(db: Db, messageId: string): string | undefined {
  const row =
    (statement(db, 'SELECT case_id FROM messages WHERE message_id = ? LIMIT 1').get(messageId) as { case_id: string } | undefined) ??
    (statement(db, 'SELECT case_id FROM outbox WHERE message_id = ? AND case_id IS NOT NULL LIMIT 1').get(messageId) as { case_id: string } | undefined);
  return row?.case_id;
}

export interface StoredMessage {
  caseId: string;
  spoolId: number | null;
  messageId: string | null;
  from: string;
  receivedAt: string;
  encrypted: boolean;
  signature: string;
  signer: string | null;
  /** `auto`: an auto-reply or delivery report kept with the case, never relayed. */
  kind: 'report' | 'reply' | 'command' | 'comment' | 'auto';
  /** Sealed (storeSealed), in the row or in a file. */
  content: Stored | null;
}

/** Stores a message of a case with its sealed content. Returns the row id. */
export function insertMessage(db: Db, m: StoredMessage): number {
  const info = statement(db, 
      'INSERT INTO messages (case_id, spool_id, message_id, from_addr, received_at, encrypted, signature, signer, kind, content_sealed, content_file) VALUES (?,?,?,?,?,?,?,?,?,?,?)',
    )
    .run(m.caseId, m.spoolId, m.messageId, m.from, m.receivedAt, m.encrypted ? 1 : 0, m.signature, m.signer, m.kind, m.content ? (m.content.inline ?? Buffer.alloc(0)) : null, m.content?.file ?? null);
  return Number(info.lastInsertRowid);
}

export interface MessageSummary {
  messageId: string | null;
  from: string;
  receivedAt: string;
  encrypted: boolean;
  signature: string;
  signer: string | null;
  kind: string;
}

/** The messages of a case, without content. */
export function messagesOf(db: Db, caseId: string): MessageSummary[] {
  const rows = statement(db, 'SELECT message_id, from_addr, received_at, encrypted, signature, signer, kind FROM messages WHERE case_id = ? ORDER BY id')
    .all(caseId) as Array<{ message_id: string | null; from_addr: string; received_at: string; encrypted: number; signature: string; signer: string | null; kind: string }>;
  return rows.map((r) => ({
    messageId: r.message_id,
    from: r.from_addr,
    receivedAt: r.received_at,
    encrypted: r.encrypted === 1,
    signature: r.signature,
    signer: r.signer,
    kind: r.kind,
  }));
}

/** Message-IDs of a case's thread (received and sent), oldest first, for References. */
export function threadIds(db: Db, caseId: string): string[] {
  const rows = statement(db, 'SELECT message_id FROM messages WHERE case_id = ? AND message_id IS NOT NULL ORDER BY id LIMIT 20').all(caseId) as Array<{ message_id: string }>;
  return rows.map((r) => r.message_id);
}
