// Issue 15: disclosure done right, by email with gpg. Only an approved revision ever leaves (and
// X-ADVISORY + X-APPROVE in one message stores it approved); an accepted override silences the
// policy maximum; X-PUBLISH and X-LEAKED bring every told stakeholder along; the advisory is dated
// the day it goes out; the public site is 0755/0644 whatever the umask; X-CREDIT is read back.
import t, { type Test } from 'tap';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pgpMime, textPart } from '../helpers/mails.js';
import { sendCommand } from '../helpers/commands.js';
import { encryptedPayload, startTestVmtd, type Delivered, type TestVmtd } from '../helpers/vmtd.js';
import type { Person } from '../helpers/gpg.js';
import { caseList, caseView } from '../../src/store/case-view.js';
import { runPlanner } from '../../src/jobs/run-planner.js';
import { longDate } from '../../src/advisories/view.js';

const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const fixture = readFileSync(new URL('../fixtures/advisories/minimal.yaml', import.meta.url), 'utf8');
const patch = 'diff --git a/parse.c b/parse.c\n--- a/parse.c\n+++ b/parse.c\n@@ -1 +1 @@\n-len\n+len - 1\n';
const quiet = 'policy: { ackPerSenderPerHour: 1000 }\nschedule: { digest: "0 0 29 2 *" }';
const DISTROS = 'linux-distros@vs.openwall.example';
const OSS = 'oss-security@lists.openwall.example';

/** The fixture advisory under another ID (each case publishes its own), optionally retitled. */
const yamlFor = (id: string, title?: string): string => {
  const y = fixture.replace('SEC-2026-0007', id);
  return title ? y.replace(/^title: .*$/m, `title: ${title}`) : y;
};
/** `YYYY-MM-DD HH:MM UTC` of a time, rounded up to the next whole minute. */
const embargoText = (d: Date): string => new Date(Math.ceil(d.getTime() / MIN) * MIN).toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
const minuteUp = (d: Date): Date => new Date(Math.ceil(d.getTime() / MIN) * MIN);

async function startVmtd(t: Test, extra = quiet, dir?: string): Promise<TestVmtd> {
  const v = await startTestVmtd({ now: new Date(), extraConfig: extra, ...(dir ? { dir } : {}) });
  t.teardown(() => v.stop());
  return v;
}

async function openCase(v: TestVmtd): Promise<string> {
  const autocrypt = `Autocrypt: addr=rita@reporter.example; keydata=${v.gpg('rita').run(['--export', 'rita@reporter.example']).stdout.toString('base64')}`;
  const raw = pgpMime({ from: 'rita@reporter.example', to: 'security@example.org', subject: 'overflow', extra: [autocrypt] }, v.gpg('rita').encrypt(textPart('Project: libfoo\n\ndetails'), [v.daemon.ctx.team.fingerprint]));
  await v.send(raw, { from: 'rita@reporter.example', to: ['security@example.org'] });
  await v.settle();
  v.take();
  return caseList(v.daemon.ctx.db, v.daemon.ctx.sealer).at(-1)!.id;
}

/** One tick at `when` (as `vmtd tick --now` does): everything due is sent; returns what went out. */
async function tick(v: TestVmtd, when: Date): Promise<Delivered[]> {
  v.clock.now = when;
  await v.settle();
  return v.take();
}

const to = (out: Delivered[], rcpt: string): Delivered[] => out.filter((d) => d.to === rcpt);

/** What `who` reads in a mail, asserting that gpg decrypts it (exit 0) and the team signed it. */
function read(t: Test, v: TestVmtd, who: Person, d: Delivered): string {
  const r = v.gpg(who).decrypt(encryptedPayload(d.raw));
  t.equal(r.code, 0, `gpg as ${who} decrypts`);
  t.match(r.status, `VALIDSIG ${v.daemon.ctx.team.fingerprint}`, `${who} verifies the team signature`);
  return r.stdout.toString();
}

/** The clear-signed public advisory mail, verified with gpg by someone holding only the team key. */
function readPublic(t: Test, v: TestVmtd, d: Delivered): string {
  const body = d.raw.toString();
  const signed = body.slice(body.indexOf('-----BEGIN PGP SIGNED MESSAGE-----'));
  const r = v.gpg('mallory').verify(signed);
  t.equal(r.code, 0, 'gpg --verify of the public advisory succeeds');
  t.match(r.status, `VALIDSIG ${v.daemon.ctx.team.fingerprint}`);
  return signed;
}

const view = (v: TestVmtd, id: string) => caseView(v.daemon.ctx.db, v.daemon.ctx.sealer, id)!;
// The team's own files (security.txt and the CSAF directory under .well-known, the key, the policy) are
// written at daemon start, before any publication: only the advisories' files count here.
const teamFiles = new Set(['.well-known', 'team.asc', 'policy.txt']);
const publicFiles = (v: TestVmtd): string[] => (existsSync(v.config.instance.publicDir) ? readdirSync(v.config.instance.publicDir).filter((f) => !teamFiles.has(f)).sort() : []);

t.test('X-ADVISORY and X-APPROVE in one message: stored approved, noticed, published on the day, 0755/0644, credits merged', async (t) => {
  // The daemon runs under systemd's UMask=0077; an old publicDir is 0700 with a 0600 file in it.
  const umask = process.umask(0o077);
  t.teardown(() => void process.umask(umask));
  const dir = mkdtempSync(join(tmpdir(), 'vmtd-disclosure-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'public'), { mode: 0o700 });
  writeFileSync(join(dir, 'public', 'index.html'), 'old', { mode: 0o600 });
  chmodSync(join(dir, 'public'), 0o700);
  const v = await startVmtd(t, quiet, dir);
  const id = await openCase(v);
  const now = v.clock.now;
  const embargo = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 20, 15, 0));
  const noticeAt = new Date(embargo.getTime() - 7 * DAY);
  const day = embargo.toISOString().slice(0, 10);

  const credit = await sendCommand(v, 'rita', id, `X-CASE: ${id}\nX-CREDIT: Rita Reporter from Reporter Labs`);
  t.match(credit.answer, /X-CREDIT: Rita Reporter from Reporter Labs\s+OK/, 'the reporter sets their credit');
  const r = await sendCommand(
    v,
    'alice',
    id,
    [
      `X-CASE: ${id}`,
      'X-STATE: accepted',
      `X-EMBARGO: ${embargoText(embargo)}`,
      'X-NOTIFY: distros',
      'X-CVE: CVE-2026-10001 CVE-2026-10002',
      'X-CREDIT: REMEDIATION_DEVELOPER: Foo Maintainer from libfoo',
      'X-CREDIT: Ann Reporter',
      'X-ADVISORY',
      'X-APPROVE',
      'X-STATUS',
    ].join('\n'),
    { files: { 'advisory.yaml': yamlFor('SEC-2026-0301'), 'fix.patch': patch } },
  );
  t.notMatch(r.answer, /FAILED/);
  t.match(r.answer, /X-APPROVE\s+OK: revision 1 approved/);
  t.match(r.answer, /Advisory:\s+revision 1, approved/);
  t.match(r.answer, /Credits:\s+Rita Reporter from Reporter Labs \(reporter\); Foo Maintainer from libfoo \(remediation developer\); Ann Reporter \(reporter\)/, 'X-STATUS lists the credits');
  const c = view(v, id);
  t.match(c, { state: 'scheduled', advisory: { state: 'approved', revision: 1 } }, 'the stored revision is approved, as the answer said');
  t.same(
    c.credits,
    [
      { name: 'Rita Reporter from Reporter Labs', type: 'REPORTER', by: 'rita@reporter.example' },
      { name: 'Foo Maintainer from libfoo', type: 'REMEDIATION_DEVELOPER', by: 'alice@example.org' },
      { name: 'Ann Reporter', type: 'REPORTER', by: 'alice@example.org' },
    ],
    'case show --json carries the credits',
  );
  const row = v.daemon.ctx.db.prepare('SELECT state, approved_by, approved_at FROM advisories WHERE case_id = ?').get(id) as { state: string; approved_by: string; approved_at: string };
  t.match(row, { state: 'approved', approved_by: 'alice@example.org' });
  t.ok(row.approved_at, 'with its approval time');

  const pre = to(await tick(v, new Date(noticeAt.getTime() + MIN)), DISTROS);
  t.equal(pre.length, 1, 'the pre-disclosure goes out (the approved revision)');
  const preText = read(t, v, 'distros', pre[0]!);
  t.match(preText, 'libfoo heap overflow in the header parser');
  t.match(preText, `${day}, 1500UTC`);

  t.same(to(await tick(v, new Date(embargo.getTime() - MIN)), OSS), [], 'nothing public before the embargo');
  const out = await tick(v, new Date(embargo.getTime() + 30_000));
  const pub = to(out, OSS);
  t.equal(pub.length, 1, 'the advisory goes out at the embargo');
  const text = readPublic(t, v, pub[0]!);
  t.match(text, `:Date: ${longDate(day)}`, 'dated the day it is published, not the YAML date');
  t.notMatch(text, longDate('2026-01-20'));
  t.match(text, '- Rita Reporter from Reporter Labs (reporter)', 'the reporter credit given by command');
  t.match(text, '- Foo Maintainer from libfoo (remediation developer)');
  t.equal(text.split('Ann Reporter').length - 1, 1, 'a credit given both ways appears once');
  const reporter = to(out, 'rita@reporter.example');
  t.equal(reporter.length, 1);
  t.match(read(t, v, 'rita', reporter[0]!), 'Rita Reporter from Reporter Labs', 'the reporter is told, with the credit');
  t.match(view(v, id), { state: 'published', advisory: { state: 'published', revision: 1 } });

  const publicDir = v.config.instance.publicDir;
  const page = readFileSync(join(publicDir, 'SEC-2026-0301.html'), 'utf8');
  t.match(page, `<time datetime="${day}">${longDate(day)}</time>`, 'the page shows the publication day');
  t.match(page, 'Rita Reporter from Reporter Labs');
  const osv = JSON.parse(readFileSync(join(publicDir, 'SEC-2026-0301.osv.json'), 'utf8')) as { published: string; modified: string; credits: Array<{ name: string; type: string }> };
  t.equal(osv.published, `${day}T00:00:00Z`, 'OSV published');
  t.equal(osv.modified, `${day}T00:00:00Z`, 'OSV modified');
  t.same(osv.credits, [
    { name: 'Ann Reporter', type: 'REPORTER' },
    { name: 'Rita Reporter (Reporter Labs)', type: 'REPORTER' },
    { name: 'Foo Maintainer (libfoo)', type: 'REMEDIATION_DEVELOPER' },
  ]);
  for (const cve of ['CVE-2026-10001', 'CVE-2026-10002']) {
    const rec = JSON.parse(readFileSync(join(publicDir, `${cve}.json`), 'utf8')) as { cveMetadata: { datePublished: string }; containers: { cna: { datePublic: string; credits: Array<{ value: string; type: string }> } } };
    t.equal(rec.cveMetadata.datePublished, `${day}T00:00:00.000Z`, `${cve} datePublished`);
    t.equal(rec.containers.cna.datePublic, `${day}T00:00:00.000Z`);
    t.same(rec.containers.cna.credits.map((x) => x.value), ['Ann Reporter', 'Rita Reporter (Reporter Labs)', 'Foo Maintainer (libfoo)']);
  }

  t.equal(statSync(publicDir).mode & 0o777, 0o755, 'publicDir is 0755 (it was 0700)');
  const files = publicFiles(v);
  t.ok(files.includes('index.html') && files.includes('feed.xml') && files.includes('style.css') && files.includes('advisories.json'));
  for (const f of files) t.equal(statSync(join(publicDir, f)).mode & 0o777, 0o644, `${f} is 0644`);
  t.same(to(await tick(v, new Date(embargo.getTime() + DAY)), OSS), [], 'published once');
});

t.test('a draft never leaves: at the embargo nothing is published, coordinators are alerted once, and it stays due', async (t) => {
  const v = await startVmtd(t);
  const id = await openCase(v);
  // Close enough that commands signed now are fresh after it; the notice is due at once.
  const embargo = minuteUp(new Date(v.clock.now.getTime() + 2 * HOUR));
  const r = await sendCommand(v, 'alice', id, `X-CASE: ${id}\nX-STATE: accepted\nX-EMBARGO: ${embargoText(embargo)}\nX-NOTIFY: distros\nX-ADVISORY\nX-APPROVE`, { files: { 'advisory.yaml': yamlFor('SEC-2026-0302') } });
  t.notMatch(r.answer, /FAILED/);
  const pre = to(r.out, DISTROS);
  t.equal(pre.length, 1, 'short notice: the pre-disclosure goes at once');
  t.match(read(t, v, 'distros', pre[0]!), 'libfoo heap overflow in the header parser');

  const draft = await sendCommand(v, 'alice', id, `X-CASE: ${id}\nX-ADVISORY`, { files: { 'advisory.yaml': yamlFor('SEC-2026-0302', 'Corrected title of revision 2') } });
  t.match(draft.answer, /stored as revision 2/);
  t.match(view(v, id), { state: 'accepted', advisory: { state: 'draft', revision: 2 } }, 'a new draft takes the case back to accepted');
  t.same(to(draft.out, DISTROS), [], 'the draft goes to no stakeholder');

  const out = await tick(v, new Date(embargo.getTime() + MIN));
  t.same(to(out, OSS), [], 'nothing is published at the embargo: the latest revision is a draft');
  t.same(publicFiles(v), [], 'publicDir stays empty');
  for (const who of ['alice', 'bob'] as const) {
    const alert = to(out, `${who}@example.org`);
    t.equal(alert.length, 1, `${who} is alerted`);
    t.match(read(t, v, who, alert[0]!), /has passed, but\s+nothing was published: advisory revision 2 is not approved: approve it \(X-APPROVE\)/);
  }
  t.same(to(out, DISTROS), [], 'stakeholders are not told anything new');
  const later = await tick(v, new Date(embargo.getTime() + 2 * HOUR));
  t.same(later, [], 'alerted once, nothing published on later ticks');

  const approve = await sendCommand(v, 'alice', id, `X-CASE: ${id}\nX-APPROVE`);
  t.match(approve.answer, /revision 2 approved/);
  const pub = to(approve.out, OSS);
  t.equal(pub.length, 1, 'approval publishes at once: publication stayed due');
  t.match(readPublic(t, v, pub[0]!), 'Corrected title of revision 2', 'the revision approved now');
  t.ok(existsSync(join(v.config.instance.publicDir, 'SEC-2026-0302.html')));
  t.match(view(v, id), { state: 'published', advisory: { state: 'published', revision: 2 } });
});

t.test('with no approved advisory at all at the embargo: nothing published, alerted, published once approved', async (t) => {
  const v = await startVmtd(t);
  const id = await openCase(v);
  const embargo = minuteUp(new Date(v.clock.now.getTime() + HOUR));
  const r = await sendCommand(v, 'alice', id, `X-CASE: ${id}\nX-STATE: accepted\nX-EMBARGO: ${embargoText(embargo)}\nX-ADVISORY`, { files: { 'advisory.yaml': yamlFor('SEC-2026-0303') } });
  t.notMatch(r.answer, /FAILED/);
  const out = await tick(v, new Date(embargo.getTime() + MIN));
  t.same(to(out, OSS), []);
  t.same(publicFiles(v), []);
  t.match(read(t, v, 'alice', to(out, 'alice@example.org')[0]!), 'advisory revision 1 is not approved');
  // X-PUBLISH cannot push a draft out either.
  const p = await sendCommand(v, 'alice', id, `X-CASE: ${id}\nX-PUBLISH`);
  t.match(p.answer, /published without an advisory/);
  t.same(to(p.out, OSS), [], 'X-PUBLISH sends no draft');
  t.same(publicFiles(v), []);
  const a = await sendCommand(v, 'alice', id, `X-CASE: ${id}\nX-APPROVE`);
  t.equal(to(a.out, OSS).length, 1, 'the approved revision goes out when approved');
  t.ok(existsSync(join(v.config.instance.publicDir, 'SEC-2026-0303.html')));
});

t.test('an accepted X-EMBARGO-OVERRIDE: no "policy maximum" alert, digest line or stakeholder update', async (t) => {
  const v = await startVmtd(t);
  const id = await openCase(v);
  const other = await openCase(v); // no embargo, no override: the digest's control
  const start = v.clock.now;
  const embargo = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate() + 100, 15, 0));
  const r = await sendCommand(v, 'alice', id, `X-CASE: ${id}\nX-STATE: accepted\nX-EMBARGO: ${embargoText(embargo)}\nX-EMBARGO-OVERRIDE: vendor ships quarterly\nX-NOTIFY: distros\nX-ADVISORY\nX-APPROVE`, { files: { 'advisory.yaml': yamlFor('SEC-2026-0304') } });
  t.notMatch(r.answer, /FAILED/);
  t.equal(view(v, id).state, 'scheduled');

  const beyond = await tick(v, new Date(start.getTime() + 91 * DAY));
  t.ok(beyond.some((d) => d.subject.includes(other)), 'the case without an override is told it reached the limit');
  t.same(beyond.filter((d) => !d.subject.includes(other)), [], 'past maxEmbargoDays: nothing about the overridden case');
  v.clock.now = new Date(start.getTime() + 91 * DAY + HOUR);
  await runPlanner(v.daemon.ctx, { digest: true });
  await v.settle();
  const digest = to(v.take(), 'alice@example.org').map((d) => read(t, v, 'alice', d)).join('\n');
  t.match(digest, `${other}: beyond the policy maximum`, 'the digest names a case beyond the policy');
  t.notMatch(digest, `${id}: beyond the policy maximum`, 'but not the overridden one');

  const noticeAt = new Date(embargo.getTime() - 7 * DAY);
  const pre = await tick(v, new Date(noticeAt.getTime() + MIN));
  t.equal(to(pre, DISTROS).length, 1, 'the pre-disclosure goes out');
  t.match(read(t, v, 'distros', to(pre, DISTROS)[0]!), 'advance warning');
  t.same(to(pre, 'alice@example.org'), [], 'and no coordinator alert with it');
  const after = await tick(v, new Date(noticeAt.getTime() + 2 * MIN));
  t.same(after, [], 'a minute later: no update saying the maximum was reached');
  const out = await tick(v, new Date(embargo.getTime() + MIN));
  t.equal(to(out, OSS).length, 1, 'published at the overridden embargo');
  t.same(to(out, DISTROS), [], 'published on the date announced: no update');
  const events = v.daemon.ctx.db.prepare("SELECT kind FROM notices WHERE case_id = ? AND (kind = 'abnormal' OR key LIKE 'update:%')").all(id);
  t.same(events, [], 'no abnormal termination, no update, ever');
});

t.test('X-PUBLISH before the embargo: every told stakeholder is updated, the advisory is dated today', async (t) => {
  const v = await startVmtd(t);
  const id = await openCase(v);
  const embargo = minuteUp(new Date(v.clock.now.getTime() + 3 * DAY));
  const r = await sendCommand(v, 'alice', id, `X-CASE: ${id}\nX-STATE: accepted\nX-EMBARGO: ${embargoText(embargo)}\nX-NOTIFY: distros\nX-ADVISORY\nX-APPROVE`, { files: { 'advisory.yaml': yamlFor('SEC-2026-0305') } });
  t.notMatch(r.answer, /FAILED/);
  t.equal(to(r.out, DISTROS).length, 1, 'told at once (short notice)');
  const today = v.clock.now.toISOString().slice(0, 10);

  const p = await sendCommand(v, 'alice', id, `X-CASE: ${id}\nX-PUBLISH`);
  t.match(p.answer, /the approved advisory goes out/);
  const pub = to(p.out, OSS);
  t.equal(pub.length, 1, 'the advisory goes out now');
  t.match(readPublic(t, v, pub[0]!), `:Date: ${longDate(today)}`);
  const update = to(p.out, DISTROS);
  t.equal(update.length, 1, 'the told stakeholder gets an update');
  t.match(update[0]!.subject, /^\[vs\] \[SEC-\d{4}-\d{4}\] embargo update$/);
  const text = read(t, v, 'distros', update[0]!);
  t.match(text, /made public, earlier than the date we gave you/);
  t.match(text, `${today}, `);
  const osv = JSON.parse(readFileSync(join(v.config.instance.publicDir, 'SEC-2026-0305.osv.json'), 'utf8')) as { published: string };
  t.equal(osv.published, `${today}T00:00:00Z`);
  const cve = JSON.parse(readFileSync(join(v.config.instance.publicDir, 'CVE-2026-10001.json'), 'utf8')) as { cveMetadata: { datePublished: string } };
  t.equal(cve.cveMetadata.datePublished, `${today}T00:00:00.000Z`);
  t.same(await tick(v, new Date(v.clock.now.getTime() + HOUR)), [], 'once');
  t.same(to(await tick(v, new Date(embargo.getTime() + MIN)), OSS), [], 'nothing again at the old date');
});

t.test('X-PUBLISH with no advisory still tells the told stakeholders the embargo is over', async (t) => {
  const v = await startVmtd(t);
  const id = await openCase(v);
  const embargo = minuteUp(new Date(v.clock.now.getTime() + 3 * DAY));
  await sendCommand(v, 'alice', id, `X-CASE: ${id}\nX-STATE: accepted\nX-EMBARGO: ${embargoText(embargo)}\nX-NOTIFY: distros\nX-ADVISORY\nX-APPROVE`, { files: { 'advisory.yaml': yamlFor('SEC-2026-0306') } });
  const draft = await sendCommand(v, 'alice', id, `X-CASE: ${id}\nX-ADVISORY`, { files: { 'advisory.yaml': yamlFor('SEC-2026-0306', 'SECOND DRAFT') } });
  t.notMatch(draft.answer, /FAILED/);
  const p = await sendCommand(v, 'alice', id, `X-CASE: ${id}\nX-PUBLISH`);
  t.match(p.answer, /published without an advisory/);
  t.same(to(p.out, OSS), [], 'no draft goes public');
  const update = to(p.out, DISTROS);
  t.equal(update.length, 1);
  const text = read(t, v, 'distros', update[0]!);
  t.match(text, /made public, earlier/);
  t.notMatch(text, 'SECOND DRAFT', 'the update names the approved revision, never the draft');
});

t.test('X-LEAKED: disclosure moves to the leak + policy.leakGraceHours; stakeholders told the date; published then', async (t) => {
  const v = await startVmtd(t, `${quiet.replace('ackPerSenderPerHour: 1000', 'ackPerSenderPerHour: 1000, leakGraceHours: 2')}`);
  const id = await openCase(v);
  const embargo = minuteUp(new Date(v.clock.now.getTime() + 5 * DAY));
  const r = await sendCommand(v, 'alice', id, `X-CASE: ${id}\nX-STATE: accepted\nX-EMBARGO: ${embargoText(embargo)}\nX-NOTIFY: distros\nX-ADVISORY\nX-APPROVE`, { files: { 'advisory.yaml': yamlFor('SEC-2026-0307') } });
  t.equal(to(r.out, DISTROS).length, 1, 'the stakeholder was told');

  const leakAt = v.clock.now;
  const disclosure = new Date(leakAt.getTime() + 2 * HOUR);
  const l = await sendCommand(v, 'alice', id, `X-CASE: ${id}\nX-LEAKED: seen on a forum`);
  t.match(l.answer, new RegExp(`disclosure moves to ${disclosure.toISOString().slice(0, 16).replace('T', ' ')} UTC`));
  t.equal(view(v, id).embargo, disclosure.toISOString().replace(/\.\d{3}Z$/, 'Z'), 'the embargo is the new disclosure time');
  const update = to(l.out, DISTROS);
  t.equal(update.length, 1, 'the told stakeholder is updated at once');
  const text = read(t, v, 'distros', update[0]!);
  t.match(text, /become public before the agreed date/);
  t.match(text, new RegExp(`at the earliest:\\s+${disclosure.toISOString().slice(0, 10)}, ${disclosure.toISOString().slice(11, 13)}${disclosure.toISOString().slice(14, 16)}UTC`));
  const alice = to(l.out, 'alice@example.org').map((d) => read(t, v, 'alice', d)).join('\n');
  t.match(alice, /leaves the embargoed workflow: the embargoed details have leaked/, 'the coordinators are told');
  t.match(alice, /the approved advisory is published at \S+, \d{4}UTC/, 'and when it will be published');
  t.same(to(l.out, OSS), [], 'not published during the grace');

  t.same(to(await tick(v, new Date(leakAt.getTime() + HOUR)), OSS), [], 'nor an hour later');
  const out = await tick(v, new Date(disclosure.getTime() + MIN));
  t.equal(to(out, OSS).length, 1, 'published at the leak + grace, not the original date');
  t.same(to(out, DISTROS), [], 'no further update: they were given this date');
  t.same(to(await tick(v, new Date(embargo.getTime() + MIN)), OSS), [], 'nothing at the original date');
});

t.test('X-LEAKED with the default grace and no approved advisory: alert, then published when approved', async (t) => {
  const v = await startVmtd(t);
  const id = await openCase(v);
  const embargo = minuteUp(new Date(v.clock.now.getTime() + 5 * DAY));
  await sendCommand(v, 'alice', id, `X-CASE: ${id}\nX-STATE: accepted\nX-EMBARGO: ${embargoText(embargo)}\nX-ADVISORY`, { files: { 'advisory.yaml': yamlFor('SEC-2026-0308') } });
  const l = await sendCommand(v, 'alice', id, `X-CASE: ${id}\nX-LEAKED`);
  t.same(to(l.out, OSS), []);
  const alice = to(l.out, 'alice@example.org').map((d) => read(t, v, 'alice', d)).join('\n');
  t.match(alice, /leaves the embargoed workflow: the embargoed details have leaked/);
  t.match(alice, /nothing was published: advisory revision 1 is not approved/);
  const a = await sendCommand(v, 'alice', id, `X-CASE: ${id}\nX-APPROVE`);
  t.equal(to(a.out, OSS).length, 1, 'as soon as an approved advisory exists');
});

t.test('the pure decisions: credits merged once, leak disclosure time, override and early-disclosure updates', async (t) => {
  const { parseAdvisory } = await import('../../src/advisories/index.js');
  const { withGivenCredits, datedOn } = await import('../../src/advisories/published.js');
  const { leakDisclosure } = await import('../../src/commands/keywords.js');
  const { isOverdue, updateFor } = await import('../../src/scheduler/planner.js');
  const parsed = parseAdvisory(fixture.replace('  - name: Ann Reporter', '  - name: Ann Reporter\n    affiliation: Acme'));
  if (!parsed.ok) throw new Error('fixture');
  const merged = withGivenCredits(parsed.advisory, [
    { text: 'Ann Reporter from Acme', type: 'REPORTER' },
    { text: 'ann reporter', type: 'FINDER' },
    { text: 'Ann Reporter', type: 'ANALYST' },
    { text: 'Bo from Lab', type: 'REPORTER' },
    { text: 'Bo  from Lab', type: 'REPORTER' },
    { text: 'Cy', type: 'NONSENSE' },
  ]);
  t.same(merged.credits, [
    { name: 'Ann Reporter', type: 'ANALYST', contact: [] },
    { name: 'Bo', type: 'REPORTER', affiliation: 'Lab', contact: [] },
    { name: 'Cy', type: 'OTHER', contact: [] },
  ], 'each person once per role; a YAML reporter is not repeated');
  t.equal(datedOn(merged, '2027-03-04').date, '2027-03-04');
  t.equal(parsed.advisory.credits.length, 0, 'the parsed advisory is not changed');

  const leak = new Date('2027-01-10T12:00:00Z');
  t.same(leakDisclosure(new Date('2027-02-01T15:00:00Z'), leak, 0), leak, 'grace 0: at once');
  t.same(leakDisclosure(new Date('2027-02-01T15:00:00Z'), leak, 6), new Date('2027-01-10T18:00:00Z'));
  t.same(leakDisclosure(new Date('2027-01-10T13:00:00Z'), leak, 6), new Date('2027-01-10T13:00:00Z'), 'an earlier embargo stays');
  t.same(leakDisclosure(null, leak, 1), new Date('2027-01-10T13:00:00Z'));

  const c = { id: 'C', state: 'scheduled', createdAt: new Date('2027-01-01T00:00:00Z'), embargo: new Date('2027-05-01T15:00:00Z'), leakedAt: null, overridden: true, advisory: { revision: 1, state: 'approved', approvedAt: null }, stakeholders: ['distros'] };
  const later = new Date('2027-04-20T00:00:00Z');
  t.notOk(isOverdue(c, later, 90), 'overridden: never overdue');
  t.ok(isOverdue({ ...c, overridden: false }, later, 90));
  const last = { caseId: 'C', stakeholder: 'distros', embargo: '2027-05-01T15:00Z', at: later };
  const none = (): boolean => false;
  t.equal(updateFor(c, last, false, none), null, 'nothing changed');
  t.same(updateFor({ ...c, embargo: new Date('2027-05-02T15:00:00Z') }, last, false, none), { reason: 'moved', label: '2027-05-02T15:00Z' });
  t.same(updateFor({ ...c, state: 'published', embargo: new Date('2027-04-21T09:30:12Z') }, last, false, none), { reason: 'published', label: 'published' }, 'disclosure earlier than announced');
  t.equal(updateFor({ ...c, state: 'published' }, last, false, none), null, 'on the announced date: nothing');
  t.equal(updateFor({ ...c, state: 'published', embargo: new Date('2027-04-21T09:30:12Z') }, last, false, (l) => l === 'published'), null, 'once');
  t.same(updateFor({ ...c, leakedAt: later }, last, false, none), { reason: 'leaked', label: 'leaked' });
  t.equal(updateFor({ ...c, leakedAt: later }, { ...last, embargo: 'leaked' }, false, (l) => l === 'leaked'), null, 'a legacy row naming its reason is no date');
});
