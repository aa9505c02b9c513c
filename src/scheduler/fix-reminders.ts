/**
 * Digest reminders for open cases whose projects are all fixed but which have no approved advisory:
 * the fixes are out (or about to be), so disclosure should not wait on the advisory. Pure: the facts
 * come from store/fix-facts.ts; the daily digest appends these lines to its own.
 */

/** What the reminder needs of a case. */
export interface FixReminderCase {
  id: string;
  state: string;
  /** The case's projects and their X-PROJECT-STATUS. */
  projects: Readonly<Record<string, string>>;
  /** The state of the latest advisory revision, null without one. */
  advisoryState: string | null;
}

const CLOSED = ['published', 'closed', 'rejected', 'duplicate'];

/**
 * One line per open case with at least one project, all of them fixed, and no approved (or
 * published) latest revision, in case order. Pure.
 */
export function fixReminders(cases: readonly FixReminderCase[]): string[] {
  return cases
    .filter((c) => !CLOSED.includes(c.state))
    .filter((c) => {
      const statuses = Object.values(c.projects);
      return statuses.length > 0 && statuses.every((s) => s === 'fixed');
    })
    .filter((c) => c.advisoryState !== 'approved' && c.advisoryState !== 'published')
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((c) => {
      const ids = Object.keys(c.projects).sort().join(', ');
      const what = c.advisoryState === null || c.advisoryState === 'withdrawn' ? 'no advisory: send one (X-ADVISORY)' : `the advisory is a ${c.advisoryState}: approve it (X-APPROVE)`;
      return `${c.id}: every project is fixed (${ids}) but ${what}`;
    });
}
