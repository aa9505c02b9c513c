// Issue 18: a stakeholder with `noticeBusinessDays: 3` and an embargo on a Tuesday is told the
// Thursday before, at the embargo's time of day, by email with gpg (nothing on Wednesday).
import t from 'tap';
import { readFileSync } from 'node:fs';
import { ritaReports, sendCommand } from '../helpers/commands.js';
import { encryptedPayload, startTestVmtd } from '../helpers/vmtd.js';
import { pubKeyFile } from '../helpers/gpg.js';

const DAY = 86_400_000;
const CAROL = 'carol@libfoo.example';
const fixture = readFileSync(new URL('../fixtures/advisories/minimal.yaml', import.meta.url), 'utf8').replace('SEC-2026-0007', 'SEC-2026-0401');

t.test('noticeBusinessDays: 3, embargo on a Tuesday: the notice goes the Thursday before', async (t) => {
  const v = await startTestVmtd({
    now: new Date(),
    extraConfig: 'policy: { ackPerSenderPerHour: 1000 }\nschedule: { digest: "0 0 29 2 *" }',
    moreStakeholders: `  - { id: biz, name: Business Days CERT, email: ${CAROL}, key: ${pubKeyFile('carol')}, noticeBusinessDays: 3, maxDays: 14 }`,
  });
  t.teardown(() => v.stop());
  const id = await ritaReports(v);

  // The first Tuesday at least 9 days ahead, 15:00 UTC (within maxDays of the Thursday before).
  const now = v.clock.now;
  let embargo = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 9, 15, 0));
  while (embargo.getUTCDay() !== 2) embargo = new Date(embargo.getTime() + DAY);
  const thursday = new Date(embargo.getTime() - 5 * DAY);
  const r = await sendCommand(v, 'alice', id, `X-CASE: ${id}\nX-STATE: accepted\nX-EMBARGO: ${embargo.toISOString().slice(0, 16).replace('T', ' ')} UTC\nX-NOTIFY: biz\nX-ADVISORY\nX-APPROVE`, { files: { 'advisory.yaml': fixture } });
  t.notMatch(r.answer, /FAILED/);
  t.notMatch(r.answer, /less than its/, 'enough notice: no warning');
  v.take();

  v.clock.now = new Date(thursday.getTime() - 60_000);
  await v.settle();
  t.same(v.take().filter((d) => d.to === CAROL), [], 'nothing a minute before Thursday 15:00 (7 calendar days would have been the Tuesday before)');
  v.clock.now = thursday;
  await v.settle();
  const sent = v.take().filter((d) => d.to === CAROL);
  t.equal(sent.length, 1, 'one pre-disclosure on Thursday 15:00');
  t.equal(thursday.getUTCDay(), 4);
  const read = v.gpg('carol').decrypt(encryptedPayload(sent[0]!.raw));
  t.equal(read.code, 0, 'the stakeholder decrypts it');
  t.match(read.stdout.toString(), id);
});
