// Issue 18, incidents, by email with gpg through the real SMTP server: X-KIND makes a case an
// incident and is answered; a forged or unsigned X-KIND changes nothing; an incident's state words
// work in X-STATE and show in `vmtd case show`; its X-NOTIFY sends the notice to the downstream at
// once, which gpg decrypts and verifies; X-PUBLISH tells that downstream the incident is public
// and mails the approved advisory to the public list after the incident preface, clear-signed.
// The CLI subtest runs the compiled CLI in dist/ (npx tsc -p tsconfig.json first).
import t from 'tap';
import { readFileSync } from 'node:fs';
import { plainMail } from './helpers/mails.js';
import { readAs, ritaReports, sendCommand } from './helpers/commands.js';
import { vmtd } from './helpers/child.js';
import { emailOf } from './helpers/gpg.js';
import { encryptedPayload, startTestVmtd, type Delivered, type TestVmtd } from './helpers/vmtd.js';
import { caseView } from '../src/store/case-view.js';
import { eventsOf } from '../src/store/events.js';

const DISTROS = emailOf.distros;
const OSS = 'oss-security@lists.openwall.example';
const yaml = readFileSync(new URL('./fixtures/advisories/minimal.yaml', import.meta.url), 'utf8');
let v: TestVmtd;
let id = '';
t.before(async () => {
  v = await startTestVmtd({ extraConfig: 'policy: { ackPerSenderPerHour: 1000 }\nschedule: { digest: "0 0 29 2 *" }' });
  id = await ritaReports(v);
});
t.teardown(() => v.stop());

const view = () => caseView(v.daemon.ctx.db, v.daemon.ctx.sealer, id)!;
const toDistros = (out: Delivered[]) => out.filter((d) => d.to === DISTROS);

t.test('a forged or unsigned X-KIND changes nothing', async (t) => {
  const forged = await sendCommand(v, 'mallory', id, `X-CASE: ${id}\nX-KIND: incident`, { from: 'alice@example.org' });
  t.match(forged.answer, /Your command message was refused: commands must be signed with a key known to the team/);
  const unsigned = plainMail({ from: 'alice@example.org', to: `security+${id.toLowerCase()}@example.org`, subject: 'kind' }, `X-CASE: ${id}\nX-KIND: incident\n`);
  await v.send(unsigned, { from: 'alice@example.org', to: [`security+${id.toLowerCase()}@example.org`] });
  await v.settle();
  t.match(v.take().filter((d) => d.to === 'alice@example.org').map((d) => d.raw.toString()).join('\n'), /refused/);
  t.match(view(), { kind: 'vulnerability', state: 'new' });
  t.notOk(eventsOf(v.daemon.ctx.db, id).some((e) => e.kind === 'kind'), 'no kind event');
  const expert = await sendCommand(v, 'maint', id, `X-CASE: ${id}\nX-KIND: incident`);
  t.match(expert.answer, /as project-contact you may not use X-KIND/, 'a project contact may not set the kind');
});

t.test('X-KIND: incident, its state words in X-STATE and in the answers; a wrong value is answered clearly', async (t) => {
  const wrong = await sendCommand(v, 'alice', id, `X-CASE: ${id}\nX-KIND: breach\nX-STATE: investigating`);
  t.match(wrong.answer, /X-KIND: breach\s+FAILED: unknown kind "breach"; kinds are vulnerability, incident/);
  t.match(wrong.answer, /X-STATE: investigating\s+FAILED: unknown state "investigating"; states are: new, triaged/, "a vulnerability has no incident words");
  t.match(wrong.answer, /Nothing was applied/);

  const set = await sendCommand(v, 'alice', id, `X-CASE: ${id}\nx-kind: Incident`);
  t.match(set.answer, /x-kind: Incident\s+OK: the case is an incident, reported/);
  t.match(view(), { kind: 'incident', state: 'new', stateWord: 'reported' });
  t.match(eventsOf(v.daemon.ctx.db, id).find((e) => e.kind === 'kind'), { actor: 'alice@example.org', detail: { from: 'vulnerability', to: 'incident' } });

  const state = await sendCommand(v, 'bob', id, `X-CASE: ${id}\nX-STATE: investigating\nX-STATUS`);
  t.match(state.answer, /X-STATE: investigating\s+OK: state is investigating/);
  t.match(state.answer, new RegExp(`Case ${id}: incident, investigating`), 'X-STATUS in the incident words');
  t.match(readAs(v, 'alice', state.out.find((d) => d.to === 'alice@example.org')!), /The case is now investigating\./, 'the relay to the members too');
  t.match(view(), { state: 'triaged', stateWord: 'investigating' }, 'stored as the lifecycle state');

  const bad = await sendCommand(v, 'alice', id, `X-CASE: ${id}\nX-STATE: pwned`);
  t.match(bad.answer, /FAILED: unknown state "pwned"; incident states are: reported, investigating, contained, scheduled, disclosed, closed, rejected, duplicate/);
  const contained = await sendCommand(v, 'alice', id, `X-CASE: ${id}\nX-STATE: contained`);
  t.match(contained.answer, /OK: state is contained/);
  t.equal(view().state, 'accepted');
});

t.test("the incident notice reaches the downstream at once, encrypted and signed; X-PUBLISH tells it the incident is public", async (t) => {
  const silent = await sendCommand(v, 'alice', id, `X-CASE: ${id}\nX-NOTIFY: distros`);
  t.match(silent.answer, /X-NOTIFY: distros\s+FAILED: an incident's notice goes out now and its text is this message's comment/);
  t.same(toDistros(silent.out), [], 'nothing without the text');

  const words = 'Our release signing key 0xDEADBEEF was stolen: INCIDENT-SECRET-7. Do not trust libfoo 1.4.3.';
  const sent = await sendCommand(v, 'alice', id, `X-CASE: ${id}\nX-NOTIFY: distros\n\n${words}`);
  t.match(sent.answer, /X-NOTIFY: distros\s+OK: the incident notice \(your comment\) goes to distros now, signed and encrypted/);
  const [notice, ...more] = toDistros(sent.out);
  t.ok(notice, 'the downstream gets the notice with the command, not at an embargo window');
  t.same(more, [], 'once');
  t.equal(notice!.subject, `[vs] [${id}] security incident notice`, 'the outer subject names only the case');
  t.notMatch(notice!.raw.toString(), /INCIDENT-SECRET-7|signing key/, 'nothing in clear');
  const r = v.gpg('distros').decrypt(encryptedPayload(notice!.raw));
  t.equal(r.code, 0, 'gpg (distros) decrypts it');
  t.match(r.status, `VALIDSIG ${v.daemon.ctx.team.fingerprint}`, 'signed by the team key');
  const text = r.stdout.toString();
  t.match(text, /infrastructure\s+of libfoo has been compromised/);
  t.match(text, words.slice(0, 60));
  t.match(text, /State:\s+contained/);
  t.match(text, new RegExp(`reply to security\\+${id.toLowerCase()}@example.org`));
  t.match(view().notices, [{ kind: 'pre-disclosure', stakeholder: 'distros', state: 'sent', embargo: 'none' }], 'the stakeholder is told: the planner follows it up');
  await v.settle();
  t.same(toDistros(v.take()), [], 'the planner sends no second notice');
  const news = await sendCommand(v, 'bob', id, `X-CASE: ${id}\nX-NOTIFY: distros\n\nThe new key is 0xC0FFEE; 1.4.5 is signed with it.`);
  t.match(readAs(v, 'distros', toDistros(news.out)[0]!), /The new key is 0xC0FFEE/, 'X-NOTIFY again: the news as a further notice');
  t.match(view().notices.map((n) => n.kind), ['pre-disclosure', 'incident-notice']);

  const advisory = yaml.replace('SEC-2026-0007', 'SEC-2026-0901').replace('libfoo heap overflow in the header parser', 'libfoo release signing key stolen');
  const pub = await sendCommand(v, 'alice', id, `X-CASE: ${id}\nX-ADVISORY\nX-APPROVE\nX-PUBLISH`, { files: { 'advisory.yaml': advisory } });
  t.match(pub.answer, /X-PUBLISH\s+OK: the approved advisory goes out/);
  await v.settle();
  const out = [...pub.out, ...v.take()];
  const update = toDistros(out);
  t.equal(update.length, 1, 'one word that it is public');
  t.equal(update[0]!.subject, `[vs] [${id}] incident update`);
  t.match(readAs(v, 'distros', update[0]!), /The incident is now public/);
  t.match(view(), { state: 'published', stateWord: 'disclosed' });
  // The public notice: the advisory after the incident preface, clear-signed by the team key.
  const [list] = out.filter((d) => d.to === OSS);
  const body = list!.raw.toString();
  const signed = body.slice(body.indexOf('-----BEGIN PGP SIGNED MESSAGE-----'));
  t.match(signed, /SECURITY INCIDENT NOTICE\s+The advisory below reports a security incident: a compromise of the\s+infrastructure of libfoo/);
  t.match(signed, /libfoo release signing key stolen/);
  t.notMatch(signed, /INCIDENT-SECRET-7/, "the downstream notice's words stay private");
  const verified = v.gpg('mallory').verify(signed);
  t.equal(verified.code, 0, 'gpg verifies the public notice');
  t.match(verified.status, `VALIDSIG ${v.daemon.ctx.team.fingerprint}`);
});

t.test('vmtd case show and case list show the kind and the incident words', async (t) => {
  const cfg = ['--config', `${v.dir}/vmtd.yaml`];
  const show = vmtd(['case', 'show', id, ...cfg]);
  t.equal(show.code, 0, show.stderr);
  t.match(show.stdout, new RegExp(`^${id}  incident  disclosed`));
  t.match(show.stdout, /kind:\s+incident/);
  t.match(view(), { id, kind: 'incident', state: 'published', stateWord: 'disclosed' }, 'as --json prints it');
  const list = vmtd(['case', 'list', ...cfg]);
  t.match(list.stdout, /^ID\s+STATE\s+KIND/, 'KIND after STATE: the second column stays the state');
  t.match(list.stdout, new RegExp(`${id}\\s+disclosed\\s+incident`));
});
