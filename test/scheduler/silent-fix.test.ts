// Issue 18, "no silent fixes", by email with gpg: a project contact's X-PROJECT-STATUS: libfoo
// fixed 1.2.3 before disclosure alerts the coordinators and asks the project's contacts whether the
// fix is public (each letter encrypted); setting it again asks nothing; the next digest reminds the
// coordinators that every project of the case is fixed but no advisory is approved.
import t from 'tap';
import { readAs, ritaReports, sendCommand } from '../helpers/commands.js';
import { startTestVmtd } from '../helpers/vmtd.js';
import { runPlanner } from '../../src/jobs/run-planner.js';

const DAY = 86_400_000;

t.test('fixed before disclosure: the coordinators are alerted, the project asked; the digest reminds', async (t) => {
  const start = new Date();
  const v = await startTestVmtd({ now: start, extraConfig: 'policy: { ackPerSenderPerHour: 1000 }\nschedule: { digest: "0 8 * * *" }' });
  t.teardown(() => v.stop());
  const id = await ritaReports(v);

  const r = await sendCommand(v, 'maint', id, `X-CASE: ${id}\nX-PROJECT-STATUS: libfoo fixed 1.2.3`);
  t.notMatch(r.answer, /FAILED/);
  const out = r.out;
  const alerts = out.filter((d) => (d.to === 'alice@example.org' || d.to === 'bob@example.org') && readAs(v, d.to === 'alice@example.org' ? 'alice' : 'bob', d).includes('fix public before disclosure?'));
  t.equal(alerts.length, 2, 'both coordinators are alerted');
  const alert = readAs(v, 'alice', alerts.find((d) => d.to === 'alice@example.org')!);
  t.match(alert, /maint@libfoo\.example set libfoo \(fixed in 1\.2\.3\) fixed/);
  t.match(alert, /asked to confirm: maint@libfoo\.example/);
  const asks = out.filter((d) => d.to === 'maint@libfoo.example').map((d) => readAs(v, 'maint', d)).filter((x) => x.includes('is the libfoo fix public already?'));
  t.equal(asks.length, 1, 'the project contact is asked, encrypted to their key');
  t.match(asks[0], /Please confirm whether the fix is public already/);
  t.match(asks[0], /fixed in 1\.2\.3/);
  t.match(r.answer, /X-PROJECT-STATUS: libfoo fixed 1\.2\.3\s+OK/, 'the sender is answered as usual');

  const again = await sendCommand(v, 'maint', id, `X-CASE: ${id}\nX-PROJECT-STATUS: libfoo fixed 1.2.4`);
  t.notMatch(again.answer, /FAILED/);
  t.equal(again.out.filter((d) => d.to === 'alice@example.org' && readAs(v, 'alice', d).includes('fix public before disclosure?')).length, 0, 'already fixed: no second alert');

  // The next digest: every project fixed, no advisory.
  v.clock.now = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate()) + DAY + 8 * 3_600_000);
  // The digest runs only when asked (the cron job's flag), as scheduler.test.ts drives it.
  await runPlanner(v.daemon.ctx, { digest: true });
  await v.daemon.outbox.flush();
  const digest = v.take().filter((d) => d.to === 'alice@example.org' && /vmtd digest/.test(d.subject)).map((d) => readAs(v, 'alice', d))[0];
  t.ok(digest, 'alice gets a digest');
  t.match(digest, `${id}: every project is fixed (libfoo) but no advisory: send one (X-ADVISORY)`);
  t.notMatch(digest, /project libfoo is slow/, 'its contact answered within minutes: not a slow project');
});
