// Issue 18, deadlines that bite: when an embargoed case reaches the disclosure limit
// (policy.maxEmbargoDays after the report), each coordinator gets one alert, the deadline job's
// "disclosure limit reached" naming the stakeholders that were told, and not a second one from the
// planner; the told stakeholder gets its update. By email with gpg, the clock moved.
import t from 'tap';
import { readAs, ritaReports, sendCommand } from './helpers/commands.js';
import { emailOf } from './helpers/gpg.js';
import { startTestVmtd, type TestVmtd } from './helpers/vmtd.js';

const DAY = 86_400_000;
let v: TestVmtd;
t.before(async () => {
  v = await startTestVmtd({ extraConfig: 'schedule: { digest: "0 0 29 2 *" }' });
});
t.teardown(() => v.stop());

t.test('one alert per coordinator at the limit, naming the told stakeholders', async (t) => {
  const start = v.clock.now;
  const id = await ritaReports(v);
  const embargo = new Date(start.getTime() + 50 * DAY).toISOString().slice(0, 16).replace('T', ' ');
  // An incident tells its downstream at once: a told stakeholder without an approved advisory.
  const set = await sendCommand(v, 'alice', id, `X-CASE: ${id}\nX-KIND: incident\nX-EMBARGO: ${embargo} UTC\nX-NOTIFY: distros\n\nThe CI runners were compromised.`);
  t.notMatch(set.answer, /FAILED/, set.answer);
  t.equal(set.out.filter((d) => d.to === emailOf.distros).length, 1, 'distros is told');

  v.clock.now = new Date(start.getTime() + 50 * DAY + 60_000);
  await v.settle();
  v.take(); // the disclosure time passed with nothing to publish; the 14-day reminder

  v.clock.now = new Date(start.getTime() + 60 * DAY + 3_600_000);
  await v.settle();
  const out = v.take();
  for (const who of ['alice', 'bob'] as const) {
    const mine = out.filter((d) => d.to === emailOf[who]).map((d) => readAs(v, who, d));
    t.equal(mine.length, 1, `${who} gets one alert at the limit`);
    t.match(mine[0], new RegExp(`Case ${id} reached the disclosure limit`));
    t.match(mine[0], /Stakeholders told of the embargo: distros; each gets an update that the embargo reached the policy maximum\./);
    t.notMatch(mine.join('\n'), /moves to the public workflow/, "no second alert from the planner");
  }
  const distros = out.filter((d) => d.to === emailOf.distros);
  t.equal(distros.length, 1, 'the stakeholder gets its update');
  t.match(readAs(v, 'distros', distros[0]!), /reached the policy maximum/);
  t.match(readAs(v, 'maint', out.find((d) => d.to === emailOf.maint)!), /reached the disclosure limit/, "and the project's contact");
});
