// Issue 18: the scheduler renews publicDir/.well-known/security.txt (new Expires, clear-signed
// again) once less than a third of its validity is left, as a step of the planner pass; moving the
// clock. The decision itself is pure (securityTxtRenewalDue).
import t from 'tap';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startTestVmtd } from '../helpers/vmtd.js';
import { runPlanner } from '../../src/jobs/run-planner.js';
import { EXPIRES_DAYS, securityTxtExpires, securityTxtRenewalDue } from '../../src/advisories/site.js';

const DAY = 86_400_000;

t.test('the pure decision', async (t) => {
  const now = new Date('2027-01-01T00:00:00Z');
  t.equal(securityTxtRenewalDue(null, now), true, 'missing or without Expires: write it');
  t.equal(securityTxtRenewalDue(new Date(now.getTime() + 200 * DAY), now), false, 'more than a third left');
  t.equal(securityTxtRenewalDue(new Date(now.getTime() + 120 * DAY), now), true, 'less than a third (121.3 days) left');
  t.equal(securityTxtRenewalDue(new Date(now.getTime() - DAY), now), true, 'expired');
  t.same(securityTxtExpires('Contact: mailto:a@b\nExpires: 2027-12-31T10:00:00Z\n'), new Date('2027-12-31T10:00:00Z'));
  t.equal(securityTxtExpires('Contact: mailto:a@b\n'), null);
  t.equal(securityTxtExpires('Expires: soon\n'), null);
});

t.test('a planner pass renews security.txt before it expires, signed anew', async (t) => {
  const start = new Date(Math.floor(Date.now() / 1000) * 1000);
  const v = await startTestVmtd({ now: start, extraConfig: 'schedule: { digest: "0 0 29 2 *" }' });
  t.teardown(() => v.stop());
  const file = join(v.config.instance.publicDir, '.well-known/security.txt');
  const first = readFileSync(file, 'utf8');
  t.same(securityTxtExpires(first), new Date(start.getTime() + EXPIRES_DAYS * DAY), 'written at start, a year ahead');

  v.clock.now = new Date(start.getTime() + 200 * DAY);
  await runPlanner(v.daemon.ctx);
  t.equal(readFileSync(file, 'utf8'), first, '164 days left: untouched');

  const later = new Date(start.getTime() + 250 * DAY);
  v.clock.now = later;
  await runPlanner(v.daemon.ctx);
  const renewed = readFileSync(file, 'utf8');
  t.same(securityTxtExpires(renewed), new Date(later.getTime() + EXPIRES_DAYS * DAY), '114 days left: renewed, Expires a year after the pass');
  const r = v.gpg('mallory').verify(renewed);
  t.equal(r.code, 0, 'gpg --verify of the renewed file succeeds');
  t.match(r.status, `VALIDSIG ${v.daemon.ctx.team.fingerprint}`);

  await runPlanner(v.daemon.ctx);
  t.equal(readFileSync(file, 'utf8'), renewed, 'the next pass leaves it');
  rmSync(file);
  await runPlanner(v.daemon.ctx);
  t.same(securityTxtExpires(readFileSync(file, 'utf8')), new Date(later.getTime() + EXPIRES_DAYS * DAY), 'a removed file is written again');
});
