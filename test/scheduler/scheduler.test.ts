// Issue 6: pre-disclosure notices at embargo − noticeDays, the public advisory at the embargo,
// exactly once, catching up after downtime; checked with gpg as the stakeholder and the public.
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pgpMime, plainMail, textPart } from '../helpers/mails.js';
import { readAs, sendCommand } from '../helpers/commands.js';
import { encryptedPayload, startTestVmtd, type Delivered, type TestVmtd } from '../helpers/vmtd.js';
import { caseList, caseView } from '../../src/store/case-view.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const advisoryYaml = readFileSync(new URL('../fixtures/advisories/minimal.yaml', import.meta.url), 'utf8');
const patch = 'diff --git a/parse.c b/parse.c\n--- a/parse.c\n+++ b/parse.c\n@@ -1 +1 @@\n-len\n+len - 1\n';

let v: TestVmtd;
const realNow = new Date();
/** The embargo: 20 days ahead at 15:00 UTC. */
const embargo = new Date(Date.UTC(realNow.getUTCFullYear(), realNow.getUTCMonth(), realNow.getUTCDate() + 20, 15, 0));
const embargoText = `${embargo.toISOString().slice(0, 10)} 15:00 UTC`;
const noticeAt = new Date(embargo.getTime() - 7 * DAY);

t.before(async () => {
  v = await startTestVmtd({ now: realNow, extraConfig: 'policy: { ackPerSenderPerHour: 1000 }\nschedule: { digest: "0 0 29 2 *" }' });
});
t.teardown(() => v.stop());

async function openCase(): Promise<string> {
  const raw = pgpMime({ from: 'rita@reporter.example', to: 'security@example.org', subject: 'overflow', extra: [`Autocrypt: addr=rita@reporter.example; keydata=${v.gpg('rita').run(['--export', 'rita@reporter.example']).stdout.toString('base64')}`] }, v.gpg('rita').encrypt(textPart('Project: libfoo\n\ndetails'), [v.daemon.ctx.team.fingerprint]));
  await v.send(raw, { from: 'rita@reporter.example', to: ['security@example.org'] });
  await v.settle();
  v.take();
  return caseList(v.daemon.ctx.db, v.daemon.ctx.sealer).at(-1)!.id;
}

async function at(when: Date): Promise<Delivered[]> {
  v.clock.now = when;
  await v.settle();
  return v.take();
}

const toDistros = (out: Delivered[]) => out.filter((d) => d.to === 'linux-distros@vs.openwall.example');
const toPublic = (out: Delivered[]) => out.filter((d) => d.to === 'oss-security@lists.openwall.example');

t.test('pre-disclosure at embargo − noticeDays, once; the public advisory at the embargo, signed', async (t) => {
  const id = await openCase();
  const r = await sendCommand(v, 'alice', id, `X-CASE: ${id}\nX-STATE: accepted\nX-EMBARGO: ${embargoText}\nX-NOTIFY: distros\nX-CVE: CVE-2026-10001\nX-ADVISORY`, { files: { 'advisory.yaml': advisoryYaml, 'cve-2026-10001-main.patch': patch } });
  t.notMatch(r.answer, /FAILED/);
  t.equal((await sendCommand(v, 'alice', id, `X-CASE: ${id}\nX-APPROVE`)).answer.includes('FAILED'), false);
  t.equal(caseView(v.daemon.ctx.db, v.daemon.ctx.sealer, id)!.state, 'scheduled');
  t.match(caseView(v.daemon.ctx.db, v.daemon.ctx.sealer, id)!.stakeholders, [{ id: 'distros', noticeAt: noticeAt.toISOString(), sentAt: null }], 'the planned notice time is visible');

  t.same(toDistros(await at(new Date(noticeAt.getTime() - HOUR))), [], 'nothing an hour early');
  const sent = toDistros(await at(new Date(noticeAt.getTime() + 60_000)));
  t.equal(sent.length, 1, 'exactly one notice at the due time');
  t.match(sent[0]!.subject, /^\[vs\] /, 'the stakeholder prefix starts the subject');
  t.notMatch(sent[0]!.subject, /heap overflow/, 'no detail in the clear subject');
  const dec = v.gpg('distros').decrypt(encryptedPayload(sent[0]!.raw));
  t.equal(dec.code, 0, 'gpg as the stakeholder decrypts');
  t.match(dec.status, `VALIDSIG ${v.daemon.ctx.team.fingerprint}`, 'and verifies the team signature');
  const text = dec.stdout.toString();
  t.match(text, 'advance warning');
  t.match(text, `${embargo.toISOString().slice(0, 10)}, 1500UTC`, 'disclosure date and time');
  t.match(text, 'CVE-2026-10001');
  t.match(text, 'libfoo >=1.2.0 <1.4.3', 'affected versions');
  t.match(text, 'filename="cve-2026-10001-main.patch"', 'the patch is attached with a safe name');
  t.same(toDistros(await at(new Date(noticeAt.getTime() + 2 * HOUR))), [], 'never twice');
  t.same(toPublic(await at(new Date(embargo.getTime() - 60_000))), [], 'no advisory before the embargo');

  const out = await at(new Date(embargo.getTime() + 30_000));
  const pub = toPublic(out);
  t.equal(pub.length, 1, 'the advisory goes to oss-security at the embargo');
  t.match(pub[0]!.subject, /^\[SEC-2026-0007\] libfoo: libfoo heap overflow in the header parser \(CVE-2026-10001, CVE-2026-10002\)$/);
  const body = pub[0]!.raw.toString();
  t.match(body, 'Content-Type: text/plain');
  const verify = v.gpg('mallory').run(['--import'], v.daemon.ctx.team.publicKey.armor());
  t.equal(verify.code, 0);
  const checked = v.gpg('mallory').verify(body.slice(body.indexOf('-----BEGIN PGP SIGNED MESSAGE-----')));
  t.match(checked.status, `VALIDSIG ${v.daemon.ctx.team.fingerprint}`, 'gpg --verify succeeds on the saved body');
  const c = caseView(v.daemon.ctx.db, v.daemon.ctx.sealer, id)!;
  t.equal(c.state, 'published');
  t.match(c.advisory, { state: 'published' });
  const publicDir = v.config.instance.publicDir;
  for (const f of ['index.html', 'feed.xml']) t.ok(existsSync(join(publicDir, f)), `${f} written`);
  t.ok(existsSync(join(publicDir, 'x_SEC-2026-0007.osv.json')) || existsSync(join(publicDir, 'SEC-2026-0007.osv.json')), 'OSV record written');
  t.ok(existsSync(join(publicDir, 'CVE-2026-10001.json')), 'CVE record written');
  const reporter = out.filter((d) => d.to === 'rita@reporter.example');
  t.ok(reporter.some((d) => /Ann Reporter/.test(readAs(v, 'rita', d))), 'the reporter is told, with the credit line');
  t.same(toPublic(await at(new Date(embargo.getTime() + DAY))), [], 'published once');
});

t.test('after days of downtime the missed notice goes out once; moving the embargo sends an update', async (t) => {
  v.clock.now = new Date();
  const id = await openCase();
  const r = await sendCommand(v, 'alice', id, `X-CASE: ${id}\nX-STATE: accepted\nX-EMBARGO: ${embargoText}\nX-NOTIFY: distros\nX-ADVISORY`, { files: { 'advisory.yaml': advisoryYaml.replace('SEC-2026-0007', 'SEC-2026-0099') } });
  t.notMatch(r.answer, /FAILED/);
  await sendCommand(v, 'alice', id, `X-CASE: ${id}\nX-APPROVE`);
  const late = toDistros(await at(new Date(noticeAt.getTime() + 3 * DAY)));
  t.equal(late.length, 1, 'catch-up: one notice after three days of downtime');
  t.same(toDistros(await at(new Date(noticeAt.getTime() + 3 * DAY + HOUR))), []);

  v.clock.now = new Date();
  const moved = `${new Date(embargo.getTime() + 2 * DAY).toISOString().slice(0, 10)} 15:00 UTC`;
  const move = await sendCommand(v, 'alice', id, `X-CASE: ${id}\nX-EMBARGO: ${moved}`);
  t.notMatch(move.answer, /FAILED/);
  const update = toDistros(move.out);
  t.equal(update.length, 1, 'one update notice, at once');
  t.match(readAs(v, 'distros', update[0]!), /has moved to:\s+\S+, 1500UTC/);
  t.same(toDistros(await at(new Date(noticeAt.getTime() + 4 * DAY))), [], 'the update is sent once');
});

t.test('an embargo beyond the policy is refused; a leak tells coordinators and updates stakeholders', async (t) => {
  v.clock.now = new Date();
  const id = await openCase();
  const far = `${new Date(Date.now() + 100 * DAY).toISOString().slice(0, 10)} 15:00 UTC`;
  const r = await sendCommand(v, 'alice', id, `X-CASE: ${id}\nX-EMBARGO: ${far}`);
  t.match(r.answer, /beyond the policy maximum of 60 days/);
  t.equal(caseView(v.daemon.ctx.db, v.daemon.ctx.sealer, id)!.embargo, null);

  await sendCommand(v, 'alice', id, `X-CASE: ${id}\nX-STATE: accepted\nX-EMBARGO: ${embargoText}\nX-NOTIFY: distros\nX-ADVISORY`, { files: { 'advisory.yaml': advisoryYaml.replace('SEC-2026-0007', 'SEC-2026-0100') } });
  await sendCommand(v, 'alice', id, `X-CASE: ${id}\nX-APPROVE`);
  t.equal(toDistros(await at(new Date(noticeAt.getTime() + HOUR))).length, 1);
  v.clock.now = new Date();
  const { out } = await sendCommand(v, 'alice', id, `X-CASE: ${id}\nX-LEAKED: seen on a forum`);
  t.equal(toDistros(out).length, 1, 'the pre-notified stakeholder gets an update at once');
  t.match(readAs(v, 'distros', toDistros(out)[0]!), /become public before the agreed date/);
  const alice = out.filter((d) => d.to === 'alice@example.org').map((d) => readAs(v, 'alice', d)).join('\n');
  t.match(alice, /leaves the embargoed workflow: the embargoed details have leaked/);
  t.same(toDistros(await at(new Date(noticeAt.getTime() + 2 * HOUR))), [], 'and only once');
});

t.test('with policy.publishTimeline the advisory carries the case timeline, dates only', async (t) => {
  const w = await startTestVmtd({ now: new Date(), extraConfig: 'policy: { publishTimeline: true, ackPerSenderPerHour: 1000 }\nschedule: { digest: "0 0 29 2 *" }' });
  t.teardown(() => w.stop());
  const raw = pgpMime({ from: 'rita@reporter.example', to: 'security@example.org', subject: 'r' }, w.gpg('rita').encrypt(textPart('Project: libfoo\n\nSECRET-DISCUSSION-42'), [w.daemon.ctx.team.fingerprint]));
  await w.send(raw, { from: 'rita@reporter.example', to: ['security@example.org'] });
  await w.settle();
  const id = caseList(w.daemon.ctx.db, w.daemon.ctx.sealer)[0]!.id;
  await sendCommand(w, 'alice', id, `X-CASE: ${id}\nX-STATE: accepted\nX-ADD-PROJECT: libfoo\nX-EMBARGO: ${embargoText}\nX-ADVISORY\n\nprivate remark PRIVATE-77`, { files: { 'advisory.yaml': advisoryYaml } });
  await sendCommand(w, 'maint', id, `X-CASE: ${id}\nX-PROJECT-STATUS: libfoo fixed`);
  await sendCommand(w, 'alice', id, `X-CASE: ${id}\nX-APPROVE`);
  w.clock.now = new Date(embargo.getTime() + 60_000);
  await w.settle();
  const pub = w.take().filter((d) => d.to === 'oss-security@lists.openwall.example');
  t.equal(pub.length, 1);
  const body = pub[0]!.raw.toString();
  t.match(body, /Timeline\r?\n~~~~~~~~/);
  for (const e of ['Report received', 'Issue confirmed', 'Fix available', 'Advisory published']) t.match(body, new RegExp(`\\d{4}-\\d{2}-\\d{2}  ${e}`));
  t.notMatch(body, /SECRET-DISCUSSION-42|PRIVATE-77/, 'never the private discussion');
  const checked = w.gpg('mallory');
  checked.importKey(w.daemon.ctx.team.publicKey.armor());
  t.match(checked.verify(body.slice(body.indexOf('-----BEGIN PGP SIGNED MESSAGE-----'))).status, 'VALIDSIG', 'still verifies');
});

t.test("the coordinators' daily digest: once a day, after its time, listing what needs attention", async (t) => {
  const start = new Date('2026-11-20T07:00:00Z');
  const w = await startTestVmtd({ now: start, extraConfig: 'schedule: { digest: "0 8 * * *" }' });
  t.teardown(() => w.stop());
  await w.send(plainMail({ from: 'anon@nokey.example', to: 'security@example.org', subject: 'untriaged' }, 'x'), { from: 'anon@nokey.example', to: ['security@example.org'] });
  await w.settle();
  w.take();
  const { runPlanner } = await import('../../src/jobs/run-planner.js');
  const digests = () => w.take().filter((d) => /vmtd digest/.test(d.subject));
  w.clock.now = new Date('2026-11-23T07:59:00Z');
  await runPlanner(w.daemon.ctx, { digest: true });
  await w.daemon.outbox.flush();
  t.same(digests(), [], 'nothing before the digest time');
  w.clock.now = new Date('2026-11-23T08:01:00Z');
  await runPlanner(w.daemon.ctx, { digest: true });
  await w.daemon.outbox.flush();
  const sent = digests();
  t.same(sent.map((d) => d.to).sort(), ['alice@example.org', 'bob@example.org'], 'one digest per coordinator');
  const text = w.gpg('alice').decrypt(encryptedPayload(sent.find((d) => d.to === 'alice@example.org')!.raw)).stdout.toString();
  t.match(text, /SEC-2026-0001: still new after 3 days: triage it/);
  t.match(text, /key of anon@nokey\.example \(SEC-2026-0001\): no key/);
  await runPlanner(w.daemon.ctx, { digest: true });
  await w.daemon.outbox.flush();
  t.same(digests(), [], 'not twice the same day');
});
