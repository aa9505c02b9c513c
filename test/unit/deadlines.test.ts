// The disclosure-limit rule and the registry's pure parts, without gpg, SMTP or a database
// (fast-check): reminders at 14, 7, 2 days each once, never after the limit, none for closed or
// overridden cases; at the limit publish only an approved advisory of a publishable case.
import t from 'tap';
import fc from 'fast-check';
import { currentReminder, deadlineActions, deadlineHorizon, limitOf, type DeadlineCase, type DeadlinePolicy } from '../../src/scheduler/deadlines.js';
import { applyProjectLines } from '../../src/commands/project-keywords.js';
import { contactFingerprint, median, projectRecord, type RegisteredProject } from '../../src/cases/project.js';
import { routeProjects } from '../../src/intake/route.js';
import { isoMinute, plan, type PlanCase, type PlannerInput } from '../../src/scheduler/planner.js';
import { parseRecipient } from '../../src/mail/addresses.js';

const DAY = 86_400_000;
const policy: DeadlinePolicy = { maxEmbargoDays: 60, reminderDays: [14, 7, 2], atLimit: 'alert' };
const created = new Date('2026-12-01T10:00:00Z');
const kase = (over: Partial<DeadlineCase> = {}): DeadlineCase => ({ id: 'SEC-2026-0001', state: 'accepted', createdAt: created, overridden: false, approved: false, ...over });
const states = fc.constantFrom('new', 'triaged', 'accepted', 'scheduled', 'published', 'closed', 'rejected', 'duplicate');

t.test('reminders: the examples', async (t) => {
  const limit = limitOf(created, 60);
  t.same(limit, new Date('2027-01-30T10:00:00Z'));
  t.equal(currentReminder(limit, new Date(limit.getTime() - 15 * DAY), [14, 7, 2]), null, 'before the first window');
  t.equal(currentReminder(limit, new Date(limit.getTime() - 14 * DAY), [14, 7, 2]), 14);
  t.equal(currentReminder(limit, new Date(limit.getTime() - 3 * DAY), [14, 7, 2]), 7, 'after downtime: the most urgent open window only');
  t.equal(currentReminder(limit, new Date(limit.getTime() - 1), [14, 7, 2]), 2);
  t.equal(currentReminder(limit, limit, [14, 7, 2]), null, 'from the limit on: no reminder');
  const [a] = deadlineActions([kase()], new Date(limit.getTime() - 10 * DAY), policy, new Set());
  t.same(a, { kind: 'reminder', key: 'deadline:SEC-2026-0001:2027-01-30:14d', caseId: 'SEC-2026-0001', days: 14, limit });
  t.same(deadlineActions([kase()], new Date(limit.getTime() - 10 * DAY), policy, new Set([a!.key])), [], 'claimed: nothing');
  t.same(deadlineActions([kase({ overridden: true })], new Date(limit.getTime() - DAY), policy, new Set()), [], 'an override: no reminder');
});

t.test('at the limit: publish only an approved advisory of a case that may be published; else alert', async (t) => {
  const at = new Date(limitOf(created, 60).getTime() + 1);
  const pub = { ...policy, atLimit: 'publish' as const };
  const then = (c: Partial<DeadlineCase>, p: DeadlinePolicy) => (deadlineActions([kase(c)], at, p, new Set())[0] as { then?: string } | undefined)?.then;
  t.equal(then({ approved: true, state: 'scheduled' }, pub), 'publish');
  t.equal(then({ approved: true, state: 'accepted' }, pub), 'publish');
  t.equal(then({ approved: false, state: 'accepted' }, pub), 'alert', 'nothing approved: alert');
  t.equal(then({ approved: true, state: 'triaged' }, pub), 'alert', 'triaged cannot move to published: alert');
  t.equal(then({ approved: true, state: 'scheduled' }, policy), 'alert', 'policy alert');
  t.equal(then({ state: 'closed' }, pub), undefined, 'closed: nothing');
});

t.test('properties: each notice once, never after the limit a reminder, nothing for closed or overridden cases', async (t) => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 1, max: 59 }), { minLength: 1, maxLength: 5 }),
      fc.array(fc.integer({ min: -70 * 24, max: 80 * 24 }), { minLength: 1, maxLength: 40 }),
      states,
      fc.boolean(),
      fc.boolean(),
      fc.constantFrom('alert' as const, 'publish' as const),
      (days, hours, state, overridden, approved, atLimit) => {
        const p = { maxEmbargoDays: 60, reminderDays: days, atLimit };
        const c = kase({ state, overridden, approved });
        const limit = limitOf(created, 60).getTime();
        const done = new Set<string>();
        // Passes at increasing times, as the scheduler runs them.
        for (const h of [...hours].sort((a, b) => a - b)) {
          const now = new Date(created.getTime() + h * 3_600_000);
          for (const a of deadlineActions([c], now, p, done)) {
            if (done.has(a.key)) return false;
            done.add(a.key);
            if (overridden || !['new', 'triaged', 'accepted', 'scheduled'].includes(state)) return false;
            if (a.kind === 'reminder' && (now.getTime() >= limit || now.getTime() < limit - a.days * DAY || !days.includes(a.days))) return false;
            if (a.kind === 'limit' && (now.getTime() < limit || (a.then === 'publish' && (!approved || atLimit !== 'publish')))) return false;
          }
        }
        return [...done].filter((k) => k.endsWith(':limit')).length <= 1;
      },
    ),
  );
  t.pass('held for every schedule');
});

t.test('property: the cases reported after the horizon have nothing due (the job reads only those before it)', async (t) => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 120 }),
      fc.array(fc.integer({ min: -5, max: 150 }), { maxLength: 5 }),
      fc.array(fc.record({ hoursAgo: fc.integer({ min: -24, max: 200 * 24 }), state: states, overridden: fc.boolean(), approved: fc.boolean() }), { minLength: 1, maxLength: 30 }),
      fc.constantFrom('alert' as const, 'publish' as const),
      (maxEmbargoDays, reminderDays, shapes, atLimit) => {
        const policy = { maxEmbargoDays, reminderDays, atLimit };
        const now = new Date('2026-06-01T12:00:00Z');
        const cases = shapes.map((c, i) => ({ ...kase(c), id: `SEC-2026-${String(i).padStart(4, '0')}`, createdAt: new Date(now.getTime() - c.hoursAgo * 3_600_000) }));
        const horizon = deadlineHorizon(now, policy).getTime();
        const all = deadlineActions(cases, now, policy, new Set());
        return JSON.stringify(deadlineActions(cases.filter((c) => c.createdAt.getTime() <= horizon), now, policy, new Set())) === JSON.stringify(all);
      },
    ),
    { numRuns: 500 },
  );
  t.pass('the same actions for 500 policies and sets of cases');
});

const project = (over: Partial<RegisteredProject> = {}): RegisteredProject => ({ id: 'libfoo', name: 'libfoo', policyAgreedAt: null, active: true, fixesUrl: null, source: 'config', createdAt: '', updatedAt: '', contacts: [], ...over });

t.test('registry commands: all or none; configured projects and contacts stay the configuration\'s', async (t) => {
  const env = { now: created, configuredIds: ['libfoo'], keyFor: (e: string) => (e === 'carol@libbar.example' ? { ok: true as const, fingerprint: 'C'.repeat(40) } : { ok: false as const, reason: `no key for ${e}` }) };
  const l = (line: string) => {
    const m = /^X-([A-Z-]+):?\s*(.*)$/.exec(line)!;
    return { keyword: m[1]!, args: m[2]!, line };
  };
  const ok = applyProjectLines([project()], [l('X-PROJECT-ADD: libbar Lib Bar'), l('X-PROJECT-CONTACT: libbar carol@libbar.example'), l('X-PROJECT-SET: libbar active no')], env);
  t.match(ok.after, [{ id: 'libfoo' }, { id: 'libbar', name: 'Lib Bar', active: false, source: 'mail', contacts: [{ email: 'carol@libbar.example', fingerprint: 'C'.repeat(40) }] }]);
  const bad = applyProjectLines([project()], [l('X-PROJECT-ADD: libbar Lib Bar'), l('X-PROJECT-CONTACT: libbar dave@libbar.example')], env);
  t.equal(bad.after, null, 'one failed line: nothing applies');
  t.match(bad.results, [{ ok: true }, { ok: false, note: 'no key for dave@libbar.example' }]);
  t.match(applyProjectLines([project()], [l('X-PROJECT-REMOVE: libfoo')], env).results, [{ ok: false, note: /named in the configuration/ }]);
  t.match(applyProjectLines([project()], [l('X-PROJECT-ADD: Bad/Id x')], env).results, [{ ok: false, note: /not a project ID/ }]);
  t.match(applyProjectLines([project()], [l('X-PROJECT-SET: libfoo agreed 2026-02-30')], env).results, [{ ok: false, note: /not a day/ }]);
});

t.test('routing, identity and the record', async (t) => {
  const i = { name: 'T', domain: 'example.org', intake: 'security', separator: '+', caseIdPrefix: 'SEC', dataDir: '', publicDir: '' };
  t.same(parseRecipient(i, 'security+project-libbar@example.org'), { kind: 'project', projectId: 'libbar' });
  t.same(parseRecipient(i, 'security+sec-2026-0001@example.org'), { kind: 'case', caseId: 'SEC-2026-0001' }, 'case addresses unchanged');
  t.match(parseRecipient(i, 'security-bounces+12-abc@example.org'), { kind: 'bounce', outboxId: 12 }, 'bounce addresses unchanged');
  t.equal(parseRecipient(i, 'security+project-@example.org'), undefined);
  const registry = [project(), project({ id: 'old', active: false })];
  t.same(routeProjects([{ kind: 'project', projectId: 'old' }], 'Project: libfoo, nope\n', registry), { known: ['libfoo'], unknown: ['nope'], inactive: ['old'], addressed: 'old' });
  const people = new Map([['maint@libfoo.example', 'A'.repeat(40)]]);
  t.equal(contactFingerprint(people, { email: 'Maint@libfoo.example', fingerprint: 'B'.repeat(40) }), 'A'.repeat(40), 'a configured person is their configured fingerprint');
  t.equal(contactFingerprint(people, { email: 'carol@libbar.example', fingerprint: 'B'.repeat(40) }), 'B'.repeat(40), 'anyone else: pinned when added');
  t.equal(median([5, 1, 3]), 3);
  t.equal(median([4, 1, 3, 2]), 2.5);
  const now = new Date('2027-03-01T00:00:00Z');
  const r = projectRecord(
    [
      { caseId: 'A', state: 'accepted', createdAt: '2026-12-01T00:00:00Z', embargo: null, overridden: false, updatedAt: '', contactsAddedAt: '2026-12-01T00:00:00Z', firstResponseAt: '2026-12-01T10:00:00Z', fixedAt: '2026-12-11T00:00:00Z' },
      { caseId: 'B', state: 'published', createdAt: '2027-01-01T00:00:00Z', embargo: '2027-01-20T00:00:00Z', overridden: false, updatedAt: '', contactsAddedAt: '2027-01-01T00:00:00Z', firstResponseAt: null, fixedAt: null },
    ],
    now,
    60,
  );
  t.same(r, { cases: { total: 2, open: 1, closed: 1, openIds: ['A'] }, firstResponse: { medianHours: 10, answered: 1, unanswered: 1 }, timeToFix: { medianDays: 10, fixed: 1 }, embargoOverruns: { count: 1, caseIds: ['A'], overridden: 0 } });
});

t.test('at the limit the deadline job alerts and the planner does not: one alert, the told stakeholder still gets its update', async (t) => {
  const now = new Date(created.getTime() + 60 * DAY + 3_600_000);
  const c: PlanCase = { id: 'SEC-2026-0001', state: 'accepted', createdAt: created, embargo: new Date(created.getTime() + 50 * DAY), leakedAt: null, overridden: false, advisory: null, stakeholders: ['distros'] };
  const stakeholders = [{ id: 'distros', name: 'linux-distros', email: 'd@example.org', noticeDays: 7, maxDays: 14, subjectPrefix: '' }] as PlannerInput['stakeholders'];
  const announced = [{ caseId: c.id, stakeholder: 'distros', embargo: isoMinute(c.embargo), at: created }];
  const actions = plan({ now, cases: [c], done: new Set(), announced, stakeholders, maxEmbargoDays: 60, coordinators: ['alice@example.org'], digestMinute: null });
  t.same(actions.filter((a) => a.kind === 'abnormal'), [], 'no overdue alert from the planner');
  t.match(actions, [{ kind: 'unpublished' }, { kind: 'update', stakeholder: 'distros', reason: 'overdue' }]);
  t.match(deadlineActions([kase()], now, policy, new Set()), [{ kind: 'limit', then: 'alert' }], "the deadline job's alert is the one");
  t.match(plan({ now, cases: [{ ...c, leakedAt: now }], done: new Set(), announced, stakeholders, maxEmbargoDays: 60, coordinators: [], digestMinute: null }), [{ kind: 'unpublished' }, { kind: 'abnormal', reason: 'leaked' }], 'a leak is still the planner\'s alert');
});
