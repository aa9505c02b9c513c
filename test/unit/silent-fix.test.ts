// Issue 18, "no silent fixes", the pure parts: which projects a command set fixed before
// disclosure (with the version named), and the digest reminder for all-fixed cases without an
// approved advisory.
import t from 'tap';
import { fixesBeforeDisclosure } from '../../src/commands/silent-fix.js';
import { fixReminders, type FixReminderCase } from '../../src/scheduler/fix-reminders.js';
import type { CommandLine } from '../../src/commands/grammar.js';

const line = (args: string): CommandLine => ({ keyword: 'PROJECT-STATUS', args, line: `X-PROJECT-STATUS: ${args}` });

t.test('fixesBeforeDisclosure', async (t) => {
  const before = { state: 'scheduled' as const, projects: { libfoo: 'affected', libbar: 'affected' } };
  t.same(fixesBeforeDisclosure(before, { projects: { libfoo: 'fixed', libbar: 'affected' } }, [line('libfoo fixed')]), [{ projectId: 'libfoo', version: null }]);
  t.same(fixesBeforeDisclosure(before, { projects: { libfoo: 'fixed', libbar: 'affected' } }, [line('libfoo fixed 1.2.3')]), [{ projectId: 'libfoo', version: '1.2.3' }], 'the version named');
  t.same(fixesBeforeDisclosure(before, { projects: { libfoo: 'fixed', libbar: 'affected' } }, [line('LibFoo Fixed in 1.2.3')]), [{ projectId: 'libfoo', version: '1.2.3' }], '"fixed in VERSION", any case');
  t.same(fixesBeforeDisclosure({ ...before, projects: { libfoo: 'fixed' } }, { projects: { libfoo: 'fixed' } }, [line('libfoo fixed')]), [], 'already fixed: not asked again');
  t.same(fixesBeforeDisclosure({ ...before, state: 'published' }, { projects: { libfoo: 'fixed' } }, [line('libfoo fixed')]), [], 'after publication a fix is no silent fix');
  t.same(fixesBeforeDisclosure(before, { projects: { libfoo: 'not-affected', libbar: 'affected' } }, [line('libfoo not-affected')]), [], 'another status');
  t.same(
    fixesBeforeDisclosure({ state: 'new', projects: { a: 'unknown', b: 'unknown' } }, { projects: { a: 'fixed', b: 'fixed' } }, [line('a fixed 2.0'), line('b fixed')]),
    [
      { projectId: 'a', version: '2.0' },
      { projectId: 'b', version: null },
    ],
  );
});

t.test('fixReminders', async (t) => {
  const c = (over: Partial<FixReminderCase>): FixReminderCase => ({ id: 'SEC-2026-0001', state: 'accepted', projects: { libfoo: 'fixed' }, advisoryState: null, ...over });
  t.same(fixReminders([c({})]), ['SEC-2026-0001: every project is fixed (libfoo) but no advisory: send one (X-ADVISORY)']);
  t.same(fixReminders([c({ advisoryState: 'draft' })]), ['SEC-2026-0001: every project is fixed (libfoo) but the advisory is a draft: approve it (X-APPROVE)']);
  t.same(fixReminders([c({ advisoryState: 'approved' })]), [], 'approved: publication follows');
  t.same(fixReminders([c({ projects: { libfoo: 'fixed', libbar: 'affected' } })]), [], 'not all fixed');
  t.same(fixReminders([c({ projects: {} })]), [], 'no project');
  t.same(fixReminders([c({ state: 'closed' })]), [], 'closed');
  t.same(fixReminders([c({ id: 'SEC-2026-0002' }), c({})]).map((l) => l.slice(0, 13)), ['SEC-2026-0001', 'SEC-2026-0002'], 'in case order');
});
