// Issue 18, projects as data and deadlines that bite, by email with gpg through the real SMTP
// server: a coordinator registers a project by signed mail; a report to security+project-ID@
// reaches its contact (gpg decrypts it); an unknown project is answered clearly; the CLI adds a
// project the running daemon uses at once; the disclosure-limit reminder reaches the contact, once.
// The CLI subtest runs the compiled CLI in dist/ (npx tsc -p tsconfig.json first).
import t from 'tap';
import { emailOf, pubKeyFile, type Gpg } from './helpers/gpg.js';
import { pgpMime, plainMail, textPart } from './helpers/mails.js';
import { readAs, sendCommand } from './helpers/commands.js';
import { vmtd } from './helpers/child.js';
import { startTestVmtd, type Delivered, type TestVmtd } from './helpers/vmtd.js';
import { caseList, caseView } from '../src/store/case-view.js';
import { getProject } from '../src/store/projects.js';
import { runDeadlines } from '../src/jobs/deadlines.js';

const DAY = 86_400_000;
let v: TestVmtd;
let rita: Gpg;
let start: Date;
t.before(async () => {
  v = await startTestVmtd();
  start = v.clock.now;
  rita = v.gpg('rita');
});
t.teardown(() => v.stop());

const view = (id: string) => caseView(v.daemon.ctx.db, v.daemon.ctx.sealer, id)!;
const to = (out: Delivered[], who: string) => out.filter((d) => d.to === who);
/** The case opened last (case IDs grow). */
const newest = () => caseList(v.daemon.ctx.db, v.daemon.ctx.sealer).map((c) => c.id).sort().at(-1)!;

async function report(body: string, rcpt: string, from = 'rita@reporter.example'): Promise<Delivered[]> {
  const raw = pgpMime({ from, to: rcpt, subject: 'a vulnerability' }, rita.encrypt(textPart(body), [v.daemon.ctx.team.fingerprint]));
  t.equal((await v.send(raw, { from, to: [rcpt] })).code, 250, `${rcpt} accepted at RCPT`);
  await v.settle();
  return v.take();
}

let libbarCase = '';

t.test('X-PROJECT-ADD and X-PROJECT-CONTACT by mail; a report to security+project-libbar@ reaches its contact, encrypted to the pinned key', async (t) => {
  const carolFp = v.gpg('carol').fingerprint(emailOf.carol);
  const refused = await sendCommand(v, 'maint', null, 'X-PROJECT-ADD: evil Evil Project');
  t.match(refused.answer, /only coordinators may use X-PROJECT-ADD/, 'a project contact may not change the registry');
  const r = await sendCommand(v, 'alice', null, `X-PROJECT-ADD: libbar Lib Bar\nX-PROJECT-CONTACT: libbar Carol <${emailOf.carol}>\nX-PROJECT-SET: libbar agreed 2026-11-01`, { attachKeys: ['carol'] });
  t.notMatch(r.answer, /FAILED/, r.answer);
  t.match(r.answer, new RegExp(`carol@libfoo.example is a contact of libbar, pinned to key ${carolFp}`));
  t.match(getProject(v.daemon.ctx.db, 'libbar'), { name: 'Lib Bar', active: true, policyAgreedAt: '2026-11-01', contacts: [{ email: emailOf.carol, fingerprint: carolFp, source: 'mail' }] });
  t.equal(getProject(v.daemon.ctx.db, 'evil'), undefined);

  const out = await report('The bar parser overflows: BAR-SECRET-1', 'security+project-libbar@example.org');
  libbarCase = newest();
  t.match(view(libbarCase), { projects: [{ id: 'libbar', status: 'unknown' }] });
  t.ok(view(libbarCase).members.some((m) => m.role === 'project-contact' && m.email === emailOf.carol && m.fingerprint === carolFp), 'carol is a member, pinned');
  const carol = to(out, emailOf.carol);
  t.equal(carol.length, 1, 'the contact gets the report');
  t.match(readAs(v, 'carol', carol[0]!), /BAR-SECRET-1/, 'gpg (carol) decrypts it');
  t.same(to(out, emailOf.maint), [], "another project's contact gets nothing");
  t.equal(to(out, 'alice@example.org').length, 1, 'the coordinators get it');
});

t.test('a report to an unknown project: kept for the coordinators, the reporter is told clearly (in clear: no key, no content)', async (t) => {
  const raw = plainMail({ from: 'ron@reporter.example', to: 'security+project-nosuch@example.org', subject: 'hello' }, 'NOSUCH-SECRET-2 in nosuch');
  t.equal((await v.send(raw, { from: 'ron@reporter.example', to: ['security+project-nosuch@example.org'] })).code, 250);
  t.equal((await v.send(raw, { from: 'ron@reporter.example', to: ['security+project-Bad!Name@example.org'] })).code, 550, 'a malformed project address is refused at RCPT');
  await v.settle();
  const out = v.take();
  const id = newest();
  t.same(view(id).projects, [], 'no project');
  t.same(view(id).members.map((m) => m.role).sort(), ['coordinator', 'coordinator', 'reporter']);
  t.match(readAs(v, 'alice', to(out, 'alice@example.org')[0]!), /"nosuch", which is not registered/, 'the coordinators read what was meant');
  const ack = to(out, 'ron@reporter.example');
  t.equal(ack.length, 1);
  const text = ack[0]!.raw.toString();
  t.match(text, /"nosuch" is not a project registered with us/);
  t.match(text, /read by our coordinators/);
  t.notMatch(text, /NOSUCH-SECRET-2/, 'nothing of the report in the clear answer');
});

t.test('vmtd project add/list/show --json beside the running daemon: the next report reaches the new contact (no restart)', async (t) => {
  const cfg = ['--config', `${v.dir}/vmtd.yaml`];
  const add = vmtd(['project', 'add', 'libbaz', '--name', 'Lib Baz', '--contact', emailOf.mallory, '--key', pubKeyFile('mallory'), '--repo', 'https://git.example/libbaz', '--json', ...cfg]);
  t.equal(add.code, 0, add.stderr);
  const malloryFp = v.gpg('mallory').fingerprint(emailOf.mallory);
  t.match(JSON.parse(add.stdout), { id: 'libbaz', name: 'Lib Baz', source: 'cli', fixesUrl: 'https://git.example/libbaz', contacts: [{ email: emailOf.mallory, fingerprint: malloryFp }] });
  const list = JSON.parse(vmtd(['project', 'list', '--json', ...cfg]).stdout) as Array<{ id: string; source: string }>;
  t.same(list.map((p) => [p.id, p.source]), [['libbar', 'mail'], ['libbaz', 'cli'], ['libfoo', 'config']], 'seeded, mailed and added projects');

  const out = await report('Project: libbaz\n\nThe baz tool trusts its input: BAZ-SECRET-3', 'security@example.org');
  const mine = to(out, emailOf.mallory);
  t.equal(mine.length, 1, 'the contact added by the CLI gets the report');
  t.match(readAs(v, 'mallory', mine[0]!), /BAZ-SECRET-3/);
  const show = vmtd(['project', 'show', 'libbaz', '--json', ...cfg]);
  t.equal(show.code, 0, show.stderr);
  t.match(JSON.parse(show.stdout), { id: 'libbaz', record: { cases: { total: 1, open: 1, closed: 0 }, firstResponse: { answered: 0, unanswered: 1 }, embargoOverruns: { count: 0 } } });
});

t.test('the disclosure limit: the 14-day reminder reaches the project contact with the open status, once; the limit alerts', async (t) => {
  v.clock.now = new Date(start.getTime() + (60 - 14) * DAY + 3_600_000);
  const first = await runDeadlines(v.daemon.ctx, v.clock.now);
  t.ok(first.sent.some((k) => k.startsWith(`deadline:${libbarCase}:`) && k.endsWith(':14d')), 'the 14-day reminder of the libbar case');
  await v.settle();
  const out = v.take();
  const carol = to(out, emailOf.carol);
  t.equal(carol.length, 1, 'one reminder to the contact');
  const text = readAs(v, 'carol', carol[0]!);
  t.match(text, new RegExp(`Case ${libbarCase} reaches the disclosure limit .* in 14 days`));
  t.match(text, /state:\s+new/);
  t.match(text, /projects:\s+libbar \(unknown\)/);
  t.ok(to(out, 'alice@example.org').length >= 1, 'and the coordinators');
  t.same((await runDeadlines(v.daemon.ctx, new Date(v.clock.now.getTime() + 3_600_000))).sent, [], 'never twice');

  v.clock.now = new Date(start.getTime() + 60 * DAY + 3_600_000);
  const limit = await runDeadlines(v.daemon.ctx, v.clock.now);
  t.ok(limit.sent.some((k) => k.startsWith(`deadline:${libbarCase}:`) && k.endsWith(':limit')), 'the limit is reached');
  await v.settle();
  t.match(readAs(v, 'carol', to(v.take(), emailOf.carol)[0]!), /reached the disclosure limit[\s\S]*without an override/);
});
