import { openStates } from '../cases/lifecycle.js';
import type { Db } from './db.js';

/** A case member whose pinned key is a given fingerprint. */
export interface KeyPin {
  caseId: string;
  caseState: string;
  email: string;
  role: string;
  open: boolean;
}

/** The case members (of any case) whose key is `fingerprint`. */
export function membersPinnedTo(db: Db, fingerprint: string): KeyPin[] {
  const rows = db
    .prepare(
      `SELECT m.case_id AS caseId, c.state AS caseState, m.email, m.role FROM members m JOIN cases c ON c.id = m.case_id
       WHERE m.fingerprint = ? ORDER BY m.case_id, m.email`,
    )
    .all(fingerprint.toUpperCase()) as Array<Omit<KeyPin, 'open'>>;
  return rows.map((r) => ({ ...r, open: (openStates as readonly string[]).includes(r.caseState) }));
}
