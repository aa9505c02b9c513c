import type { Db } from './db.js';

/**
 * Cases whose standing embargo calendar event (the last `calendar` event, a REQUEST) no longer
 * agrees with the case: it ended (published, closed, rejected, duplicate), lost its embargo, or
 * its embargo moved outside a command. The calendar catch-up sends what each is owed.
 */
export function calendarsOutOfDate(db: Db): Array<{ id: string; state: string; embargo: string | null }> {
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
