// The digest's reminders are pure facts → lines; a team with thousands of open cases gets a
// readable digest, not one line per case.
import t from 'tap';
import { DIGEST_MAX_ITEMS, DIGEST_MAX_REASONS, digestItems, quarantineSummary } from '../../src/scheduler/digest.js';
import { openDb } from '../../src/store/db.js';
import { addEvent } from '../../src/store/events.js';
import { digestFacts } from '../../src/store/job-facts.js';

const now = new Date('2026-03-10T09:00:00Z');
const daysAgo = (d: number): Date => new Date(now.getTime() - d * 86_400_000);

t.test('each kind of reminder, in order', async (t) => {
  const items = digestItems({
    now,
    maxEmbargoDays: 90,
    cases: [
      { id: 'VMT-2026-0001', state: 'new', createdAt: daysAgo(3), embargo: null },
      { id: 'VMT-2026-0002', state: 'accepted', createdAt: daysAgo(20), embargo: new Date('2026-03-12T00:00:00Z') },
      { id: 'VMT-2026-0003', state: 'published', createdAt: daysAgo(200), embargo: null },
    ],
    failedDeliveries: [{ caseId: 'VMT-2026-0002', rcpt: 'x@example.net', kind: 'relay' }],
    keys: [{ email: 'bob@example.org', caseIds: ['VMT-2026-0001'], problem: 'expired', expiresAt: null }],
  });
  t.same(items, [
    'VMT-2026-0001: still new after 3 days: triage it',
    'VMT-2026-0002: embargo ends 2026-03-12 00:00 UTC',
    'VMT-2026-0002: relay to x@example.net failed',
    'key of bob@example.org (VMT-2026-0001): expired',
  ]);
});

t.test('thousands of cases: at most DIGEST_MAX_ITEMS lines, the last one counting the rest', async (t) => {
  const cases = Array.from({ length: 5000 }, (_, i) => ({ id: `VMT-2026-${String(i).padStart(4, '0')}`, state: 'new', createdAt: daysAgo(5), embargo: null }));
  const ids = cases.map((c) => c.id);
  const items = digestItems({ now, maxEmbargoDays: 90, cases, failedDeliveries: [], keys: [{ email: 'bob@example.org', caseIds: ids, problem: 'no key', expiresAt: null }] });
  t.equal(items.length, DIGEST_MAX_ITEMS);
  t.equal(items.at(-1), `... and ${5001 - (DIGEST_MAX_ITEMS - 1)} more reminders (vmtd case list shows every case)`);
  const keyLine = digestItems({ now, maxEmbargoDays: 90, cases: [], failedDeliveries: [], keys: [{ email: 'bob@example.org', caseIds: ids, problem: 'no key', expiresAt: null }] });
  t.match(keyLine[0], /^key of bob@example\.org \(VMT-2026-0000, .*VMT-2026-0009 and 4990 more\): no key$/);
});

t.test('the quarantine section: a count per reason, most frequent first, the tail counted together', async (t) => {
  t.same(quarantineSummary([]), { total: 0, reasons: [] });
  t.same(quarantineSummary([{ reason: 'broken armor', count: 7 }, { reason: 'unreadable spool row after 3 attempts: ENOENT', count: 1 }]), {
    total: 8,
    reasons: ['7 × broken armor', '1 × unreadable spool row after 3 attempts: ENOENT'],
  });
  const many = Array.from({ length: 50 }, (_, i) => ({ reason: `reason ${i}`, count: 2 }));
  const s = quarantineSummary(many);
  t.equal(s.total, 100);
  t.equal(s.reasons.length, DIGEST_MAX_REASONS);
  t.equal(s.reasons.at(-1), `${(50 - (DIGEST_MAX_REASONS - 1)) * 2} × other reasons (${50 - (DIGEST_MAX_REASONS - 1)} more)`);
});

t.test('planned notices due soon or overdue, and configured stakeholders\' keys expiring or unusable', async (t) => {
  const items = digestItems({
    now,
    maxEmbargoDays: 90,
    cases: [],
    failedDeliveries: [],
    keys: [],
    pendingNotices: [
      { caseId: 'VMT-2026-0004', stakeholder: 'distros', dueAt: new Date('2026-03-11T15:00:00Z') },
      { caseId: 'VMT-2026-0005', stakeholder: 'distros', dueAt: new Date('2026-03-09T15:00:00Z') },
      { caseId: 'VMT-2026-0006', stakeholder: 'distros', dueAt: new Date('2026-03-30T15:00:00Z') },
    ],
    stakeholderKeys: [
      { id: 'distros', email: 'linux-distros@vs.openwall.example', problem: null, expiresAt: new Date('2026-03-20T00:00:00Z') },
      { id: 'vendor', email: 'psirt@vendor.example', problem: 'expired', expiresAt: null },
      { id: 'later', email: 'sec@later.example', problem: null, expiresAt: new Date('2026-06-01T00:00:00Z') },
      { id: 'never', email: 'sec@never.example', problem: null, expiresAt: null },
    ],
  });
  t.same(items, [
    'VMT-2026-0004: pre-disclosure to distros due 2026-03-11 15:00 UTC',
    'VMT-2026-0005: pre-disclosure to distros was due 2026-03-09 15:00 UTC and is not sent (is the advisory approved?)',
    'key of stakeholder distros <linux-distros@vs.openwall.example> expires 2026-03-20 00:00 UTC: ask for a renewed key',
    'key of stakeholder vendor <psirt@vendor.example>: expired; its notices are not sent',
  ]);
});

t.test('the store facts: failed deliveries by when they failed; only planned notices of open cases', async (t) => {
  const db = openDb(':memory:');
  t.teardown(() => db.close());
  const row = (id: number, created: string, state = 'failed'): void => {
    db.prepare("INSERT INTO outbox (id, case_id, kind, message_id, rcpt, raw, state, next_attempt_at, created_at) VALUES (?, 'C-1', 'relay', '<m>', ?, x'00', ?, ?, ?)").run(id, `r${id}@x.example`, state, created, created);
  };
  row(1, '2026-03-01T00:00:00Z'); // queued long ago, failed today
  addEvent(db, 'C-1', '2026-03-10T08:00:00Z', 'vmtd', 'delivery-failed', { outbox: 1 });
  row(2, '2026-03-09T12:00:00Z'); // queued yesterday, failed two days ago: impossible, but the event decides
  addEvent(db, 'C-1', '2026-03-08T08:00:00Z', 'vmtd', 'delivery-failed', { outbox: 2 });
  row(3, '2026-03-09T12:00:00Z'); // failed without its event (last-resort path): counts from its queue time
  row(4, '2026-03-01T00:00:00Z'); // old, failed without an event: not today's
  row(5, '2026-03-09T12:00:00Z', 'sent');
  db.prepare("INSERT INTO cases (id, state, created_at, updated_at) VALUES ('C-1', 'accepted', '2026-03-01T00:00:00Z', '2026-03-01T00:00:00Z'), ('C-2', 'published', '2026-03-01T00:00:00Z', '2026-03-01T00:00:00Z')").run();
  for (const [key, caseId, state] of [['pre:C-1:a', 'C-1', 'planned'], ['pre:C-1:b', 'C-1', 'cancelled'], ['pre:C-2:a', 'C-2', 'planned']] as const) {
    db.prepare("INSERT INTO notices (key, case_id, kind, stakeholder, due_at, state) VALUES (?, ?, 'pre-disclosure', ?, '2026-03-11T00:00:00Z', ?)").run(key, caseId, key.slice(-1), state);
  }
  const f = digestFacts(db, '2026-03-09T09:00:00Z');
  t.same(f.failedDeliveries.map((d) => d.rcpt), ['r1@x.example', 'r3@x.example']);
  t.same(f.pendingNotices, [{ caseId: 'C-1', stakeholder: 'a', dueAt: '2026-03-11T00:00:00Z' }], 'a cancelled notice, or one of a closed case, is not pending');
});
