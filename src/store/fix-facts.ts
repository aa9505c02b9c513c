import type { FixReminderCase } from '../scheduler/fix-reminders.js';
import { openStates } from '../cases/lifecycle.js';
import type { Db } from './db.js';

/**
 * The facts of scheduler/fix-reminders.ts: the open cases that have projects, each with its
 * projects' statuses and the state of its latest advisory revision.
 */
export function fixReminderFacts(db: Db): FixReminderCase[] {
  const rows = db
    .prepare(
      `SELECT c.id, c.state, p.project_id, p.status,
              (SELECT a.state FROM advisories a WHERE a.case_id = c.id ORDER BY a.revision DESC LIMIT 1) AS advisory
       FROM cases c JOIN case_projects p ON p.case_id = c.id
       WHERE c.state IN (${openStates.map((x) => `'${x}'`).join(',')}) ORDER BY c.id, p.project_id`,
    )
    .all() as Array<{ id: string; state: string; project_id: string; status: string; advisory: string | null }>;
  const byId = new Map<string, FixReminderCase>();
  for (const r of rows) {
    const c = byId.get(r.id) ?? { id: r.id, state: r.state, projects: {}, advisoryState: r.advisory };
    (c.projects as Record<string, string>)[r.project_id] = r.status;
    byId.set(r.id, c);
  }
  return [...byId.values()];
}
