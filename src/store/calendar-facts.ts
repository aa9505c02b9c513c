import type { Db } from './db.js';

/**
 * Cases whose standing embargo calendar event (the last `calendar` event, a REQUEST) no longer
 * agrees with the case: it ended (published, closed, rejected, duplicate), lost its embargo, or
 * its embargo moved outside a command. The calendar catch-up sends what each is owed.
 */
export function calendarsOutOfDate(db: Db): Array<{ id: string; state: string; embargo: string | null }> {
  // The last calendar event of each case is one with no later one (events_calendar covers both
  // lookups, method and date included: no event row is read).
  return db
    .prepare(
      `SELECT c.id, c.state, c.embargo FROM events e JOIN cases c ON c.id = e.case_id
       WHERE e.kind = 'calendar' AND json_extract(e.detail, '$.method') = 'REQUEST'
         AND NOT EXISTS (SELECT 1 FROM events f WHERE f.kind = 'calendar' AND f.case_id = e.case_id AND f.id > e.id)
         AND (c.state IN ('published', 'closed', 'rejected', 'duplicate') OR c.embargo IS NULL OR c.embargo != json_extract(e.detail, '$.embargo'))
       ORDER BY c.id`,
    )
    .all() as Array<{ id: string; state: string; embargo: string | null }>;
}
