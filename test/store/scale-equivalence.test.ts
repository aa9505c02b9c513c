// Issue 16 made the planner's, the digest's and `case list`'s reads follow the open cases instead
// of the database's history. Here a few hundred cases, with the cases those reads are about
// (early disclosure owed to a told stakeholder, errata due, standing calendar events of ended
// cases, moved embargoes, leaks, cases past the limit), are read both ways: every decision is the same.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildScaleDb } from '../../bench/scale-data.js';
import { cveReminders } from '../../src/scheduler/cve-reminders.js';
import { deadlineActions, deadlineHorizon, type DeadlineCase } from '../../src/scheduler/deadlines.js';
import { fixReminders } from '../../src/scheduler/fix-reminders.js';
import { isoMinute, plan } from '../../src/scheduler/planner.js';
import { slowProjects } from '../../src/scheduler/slow-projects.js';
import { calendarsOutOfDate } from '../../src/store/calendar-facts.js';
import { caseList, caseSummaries, caseView } from '../../src/store/case-view.js';
import { cveReminderFacts } from '../../src/store/cve-facts.js';
import { openDb } from '../../src/store/db.js';
import { addEvent } from '../../src/store/events.js';
import { fixReminderFacts } from '../../src/store/fix-facts.js';
import { announcements, doneKeys, loadPlanCases } from '../../src/store/plan-facts.js';
import { deadlineFacts, deadlineKeysDone, openProjectsCaseFacts, projectCaseFacts } from '../../src/store/projects.js';
import { sealerFor } from '../../src/store/seal.js';
import { oldAnnouncements, oldCalendarsOutOfDate, oldCaseFields, oldCveFacts, oldDeadlineKeysDone, oldDoneKeys, oldFixFacts, oldPlanCases, oldProjectFacts } from '../helpers/scale-reference.js';

const DAY = 86_400_000;
const now = new Date('2026-06-10T09:00:00Z');
const iso = (t: number): string => new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');
const yaml = readFileSync(fileURLToPath(new URL('../fixtures/advisories/minimal.yaml', import.meta.url)), 'utf8');
const stakeholders = [{ id: 'distros', name: 'linux-distros', email: 'distros@example.net', noticeDays: 7, maxDays: 14, subjectPrefix: '[vs] ' }] as unknown as Parameters<typeof plan>[0]['stakeholders'];

const db = openDb(':memory:');
const sealer = sealerFor(randomBytes(32));
t.teardown(() => db.close());
buildScaleDb(db, sealer, now.getTime(), {
  cases: 400,
  open: 60,
  projects: 20,
  coordinators: [{ email: 'coord@example.org', name: 'Coord' }, { email: 'coord2@example.org', name: 'Coord 2' }],
  stakeholder: 'distros',
  maxEmbargoDays: 60,
  reminderDays: [14, 7, 2],
  advisoryYaml: yaml,
});

// What a team's history leaves beside the common cases.
const ids = (sql: string): string[] => (db.prepare(sql).all() as Array<{ id: string }>).map((r) => r.id);
const open = ids("SELECT id FROM cases WHERE state IN ('new','triaged','accepted','scheduled') ORDER BY id");
const published = ids("SELECT id FROM cases WHERE state = 'published' ORDER BY id");
const told = ids("SELECT case_id AS id FROM notices WHERE kind = 'pre-disclosure' AND state = 'sent' AND case_id IN (SELECT id FROM cases WHERE state = 'published') ORDER BY case_id");
const notice = db.prepare("INSERT INTO notices (key, case_id, kind, stakeholder, embargo, due_at, state, sent_at) VALUES (?, ?, ?, 'distros', ?, ?, 'sent', ?)");
db.transaction(() => {
  open.forEach((id, i) => {
    const c = db.prepare('SELECT embargo FROM cases WHERE id = ?').get(id) as { embargo: string | null };
    if (i % 7 === 0 && c.embargo) db.prepare('UPDATE cases SET embargo = ? WHERE id = ?').run(iso(Date.parse(c.embargo) + DAY), id); // moved outside a command
    if (i % 11 === 3) db.prepare('UPDATE cases SET leaked_at = ? WHERE id = ?').run(iso(now.getTime() - DAY), id);
    if (i % 13 === 5) db.prepare('UPDATE cases SET created_at = ? WHERE id = ?').run(iso(now.getTime() - 70 * DAY), id); // past the limit
    if (i % 17 === 2 && c.embargo) notice.run(`update:${id}:distros:x`, id, 'update', '2026-01-01T00:00Z', iso(now.getTime() - DAY), iso(now.getTime() - DAY)); // announced another date
    if (i % 19 === 4) db.prepare("UPDATE cases SET class = 'A' WHERE id = ?").run(id);
    if (i % 10 === 1) db.prepare("UPDATE cases SET embargo_override = 'vendor asked' WHERE id = ?").run(id);
  });
  published.forEach((id, i) => {
    if (i % 5 === 0) addEvent(db, id, iso(now.getTime() - DAY), 'vmtd', 'calendar', { method: 'REQUEST', sequence: 2, embargo: '2026-01-01T00:00:00Z', published: false }); // standing event of an ended case
    if (i % 9 === 0) db.prepare("INSERT INTO advisories (case_id, revision, state, yaml_sealed, created_at, approved_at) VALUES (?, 2, 'approved', ?, ?, ?)").run(id, sealer.seal(yaml), iso(now.getTime() - DAY), iso(now.getTime() - DAY)); // erratum due
  });
  told.forEach((id, i) => {
    const e = (db.prepare('SELECT embargo FROM cases WHERE id = ?').get(id) as { embargo: string }).embargo;
    // Disclosure came earlier than the date announced last; for some the stakeholder was told already.
    if (i % 3 === 0) notice.run(`update:${id}:distros:${isoMinute(new Date(Date.parse(e) + 5 * DAY))}`, id, 'update', isoMinute(new Date(Date.parse(e) + 5 * DAY)), e, e);
    if (i % 6 === 0) notice.run(`update:${id}:distros:published`, id, 'update', isoMinute(new Date(e)), e, e);
    if (i % 3 === 1) notice.run(`update:${id}:distros:none`, id, 'update', 'none', e, e);
  });
})();

t.test('the planner decides the same', async (t) => {
  const cases = loadPlanCases(db);
  const before = oldPlanCases(db);
  t.same(cases, before, 'the same cases, in the same order, with the same facts');
  t.ok(cases.some((c) => c.state === 'published'), 'published cases are among them (early disclosure, errata)');
  const keys = cases.map((c) => c.id);
  const input = { now, stakeholders, maxEmbargoDays: 60, coordinators: ['coord@example.org'], digestMinute: 0 };
  const actions = plan({ ...input, cases, done: doneKeys(db, keys), announced: announcements(db, keys) });
  t.same(actions, plan({ ...input, cases: before, done: oldDoneKeys(db), announced: oldAnnouncements(db) }));
  t.ok(new Set(actions.map((a) => a.kind)).size >= 4, `several kinds of action: ${[...new Set(actions.map((a) => a.kind))].join(', ')}`);
});

t.test('the deadline rule decides the same, reading only the cases reported up to its horizon', async (t) => {
  const policy = { maxEmbargoDays: 60, reminderDays: [14, 7, 2], atLimit: 'alert' as const };
  const asCases = (upTo: string): DeadlineCase[] => deadlineFacts(db, upTo).map((f) => ({ id: f.id, state: f.state, createdAt: new Date(f.createdAt), overridden: f.overridden, approved: f.advisory?.state === 'approved' }));
  const all = asCases('9999');
  for (const days of [10, 40, 70]) {
    const later = new Date(now.getTime() + days * DAY);
    const upTo = iso(deadlineHorizon(later, policy).getTime() + DAY);
    const read = asCases(upTo);
    const actions = deadlineActions(read, later, policy, deadlineKeysDone(db, upTo));
    t.same(actions, deadlineActions(all, later, policy, oldDeadlineKeysDone(db)), `${days} days on: the same actions (${actions.length}) from ${read.length} of ${all.length} open cases`);
    if (days === 10) t.ok(actions.length > 0 && read.length < all.length, 'some are due, and fewer cases were read');
  }
});

t.test('the calendar catch-up finds the same cases', async (t) => {
  const found = calendarsOutOfDate(db);
  t.same(found, oldCalendarsOutOfDate(db));
  t.ok(found.length > 0, `${found.length} out of date`);
});

t.test('the digest says the same', async (t) => {
  t.same(cveReminders(cveReminderFacts(db), now), cveReminders(oldCveFacts(db), now));
  t.ok(cveReminders(cveReminderFacts(db), now).length > 0, 'CVE reminders');
  t.same(fixReminderFacts(db), oldFixFacts(db));
  t.same(fixReminders(fixReminderFacts(db)), fixReminders(oldFixFacts(db)));
  const slow = slowProjects(openProjectsCaseFacts(db), now, 60);
  t.same(slow, slowProjects(oldProjectFacts(db, (id) => projectCaseFacts(db, id)), now, 60));
  t.ok(slow.length > 0, 'some projects are slow');
  const perProject = new Map(openProjectsCaseFacts(db).map((p) => [p.id, p.cases]));
  for (const [id, cases] of perProject) t.same(cases, projectCaseFacts(db, id).map((c) => ({ ...c, fixedAt: null })), `${id}: the same facts but the time to fix`);
});

t.test('case list and case show show what each case read alone showed', async (t) => {
  const list = caseList(db, sealer);
  t.equal(list.length, 400);
  t.same(caseSummaries(db, sealer), list.map((c) => ({ id: c.id, kind: c.kind, stateWord: c.stateWord, embargo: c.embargo, title: c.title, members: c.members.length })), 'the text list says what the full list says');
  const fields = ['cves', 'members', 'projects', 'stakeholders', 'advisory', 'credits', 'notices', 'revisions'] as const;
  for (const c of list) {
    const pick = (v: object): Record<string, unknown> => Object.fromEntries(fields.map((f) => [f, (v as Record<string, unknown>)[f]]));
    t.same(pick(c), oldCaseFields(db, c.id), c.id);
    const shown = caseView(db, sealer, c.id)!;
    t.same({ ...shown, messages: undefined, events: undefined }, { ...c, messages: undefined, events: undefined }, `${c.id}: list and show agree`);
  }
});
