// Issue 18: the digest line when a project is slow (pure): slow first responses, an open case not
// answered for days, an open case past the limit; nothing for a project without open cases.
import t from 'tap';
import { slowProjects, SLOW_RESPONSE_HOURS } from '../../src/scheduler/slow-projects.js';
import type { ProjectCaseFacts } from '../../src/cases/project.js';

const HOUR = 3_600_000;
const now = new Date('2027-03-01T12:00:00Z');
const ago = (h: number): string => new Date(now.getTime() - h * HOUR).toISOString();
const kase = (over: Partial<ProjectCaseFacts>): ProjectCaseFacts => ({ caseId: 'SEC-2027-0001', state: 'accepted', createdAt: ago(48), embargo: null, overridden: false, updatedAt: ago(1), contactsAddedAt: ago(48), firstResponseAt: ago(40), fixedAt: null, ...over });

t.test('slowProjects', async (t) => {
  t.same(slowProjects([{ id: 'fast', cases: [kase({})] }], now, 60), [], 'answered within hours: not slow');
  t.same(slowProjects([{ id: 'slow', cases: [kase({ contactsAddedAt: ago(200), firstResponseAt: ago(200 - SLOW_RESPONSE_HOURS - 10) }), kase({ caseId: 'SEC-2027-0002', contactsAddedAt: ago(200), firstResponseAt: ago(100) })] }], now, 60), ['project slow is slow: median first response 91 h (vmtd project show slow)']);
  t.same(slowProjects([{ id: 'quiet', cases: [kase({ contactsAddedAt: ago(100), firstResponseAt: null })] }], now, 60), ['project quiet is slow: no answer for more than 3 days in SEC-2027-0001 (vmtd project show quiet)']);
  t.same(slowProjects([{ id: 'quiet', cases: [kase({ contactsAddedAt: ago(10), firstResponseAt: null })] }], now, 60), [], 'not answered yet, but only for hours');
  t.same(slowProjects([{ id: 'late', cases: [kase({ createdAt: ago(61 * 24) })] }], now, 60), ['project late is slow: past the 60-day limit: SEC-2027-0001 (vmtd project show late)']);
  t.same(slowProjects([{ id: 'late', cases: [kase({ createdAt: ago(61 * 24), overridden: true })] }], now, 60), [], 'an override is no overrun');
  t.same(slowProjects([{ id: 'old', cases: [kase({ state: 'published', contactsAddedAt: ago(500), firstResponseAt: ago(100) })] }], now, 60), [], 'no open case: not in the digest');
  t.same(
    slowProjects([{ id: 'b', cases: [kase({ contactsAddedAt: ago(100), firstResponseAt: null })] }, { id: 'a', cases: [kase({ contactsAddedAt: ago(100), firstResponseAt: null })] }], now, 60).map((l) => l.slice(0, 9)),
    ['project a', 'project b'],
    'in ID order',
  );
});
