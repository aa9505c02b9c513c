// Issue 3: each case is an encrypted expert list; every member gets every message encrypted to them.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { simpleParser } from 'mailparser';
import { emailOf, pubKeyFile, type Gpg, type Person } from '../helpers/gpg.js';
import { pgpMime, textPart, withAttachment } from '../helpers/mails.js';
import { encryptedPayload, startTestVmtd, type Delivered, type TestVmtd } from '../helpers/vmtd.js';
import { caseList, caseView } from '../../src/store/case-view.js';

const SECRET = 'heap-smash-in-parse_header-QUUX-9921';
const SUBJECT_WORD = 'Zanzibar';
const attachment = randomBytes(3000);

let v: TestVmtd;
const g = (p: Person): Gpg => v.gpg(p);

t.before(async () => {
  v = await startTestVmtd({
    moreProjects: `
  - id: libbar
    name: libbar
    contacts:
      - { name: Eve Expired, email: eve@libfoo.example, key: ${pubKeyFile('expired')} }
      - { name: Sam Signonly, email: sam@libfoo.example, key: ${pubKeyFile('signonly')} }
      - { name: Rex Revoked, email: rex@libfoo.example, key: ${pubKeyFile('revoked')} }
      - { name: Nokey Person, email: nokey@libfoo.example }
`,
  });
});
t.teardown(() => v.stop());

const caseId = () => caseList(v.daemon.ctx.db, v.daemon.ctx.sealer)[0]!.id;
const team = () => v.daemon.ctx.team.fingerprint;

/** An Autocrypt header carrying the person's public key, as Thunderbird and K-9 send it. */
const autocrypt = (p: Person): string => `Autocrypt: addr=${emailOf[p]}; keydata=${g(p).run(['--export', emailOf[p]]).stdout.toString('base64')}`;

async function report(): Promise<Delivered[]> {
  const inner = withAttachment(`Project: libfoo\n\n${SECRET}`, 'poc.bin', 'application/octet-stream', attachment);
  const raw = pgpMime({ from: 'Rita Reporter <rita@reporter.example>', to: 'security@example.org', subject: `${SUBJECT_WORD} overflow`, messageId: '<rep@reporter.example>', extra: [autocrypt('rita')] }, g('rita').encrypt(inner, [team()]));
  t.equal((await v.send(raw, { from: 'rita@reporter.example', to: ['security@example.org'] })).code, 250);
  await v.settle();
  return v.take();
}

t.test('the report is relayed to every other member, each copy encrypted to that member alone and signed by the team', async (t) => {
  const out = await report();
  const relays = out.filter((d) => d.to !== 'rita@reporter.example');
  t.same(relays.map((d) => d.to).sort(), ['alice@example.org', 'bob@example.org', 'maint@libfoo.example'], 'coordinators and the project contact; not the sender');
  for (const [who, d] of [['alice', relays.find((r) => r.to === 'alice@example.org')!], ['maint', relays.find((r) => r.to === 'maint@libfoo.example')!]] as const) {
    const dec = g(who).decrypt(encryptedPayload(d.raw));
    t.equal(dec.code, 0, `${who} decrypts their copy`);
    t.match(dec.status, `VALIDSIG ${team()}`, 'signed by the team key');
    const inner = await simpleParser(dec.stdout);
    t.match(inner.subject, `[${caseId()}] ${SUBJECT_WORD} overflow`, 'the real subject travels inside (protected headers)');
    t.match(dec.stdout.toString(), `good signature by ${g('rita').fingerprint('rita@reporter.example')}`, 'preamble: signature state');
    t.match(dec.stdout.toString(), 'From:       "Rita Reporter" <rita@reporter.example> (as the sender wrote it: unverified)', 'preamble: original sender');
    t.match(dec.stdout.toString(), SECRET, 'original text');
    const nested = await simpleParser(inner.attachments.find((a) => a.contentType === 'message/rfc822')?.content ?? dec.stdout);
    const poc = [...inner.attachments, ...nested.attachments].find((a) => a.filename === 'poc.bin');
    t.ok(poc, 'attachment present');
    t.ok(poc && Buffer.compare(poc.content, attachment) === 0, 'attachment byte-exact');
  }
  const bobCopy = relays.find((r) => r.to === 'bob@example.org')!;
  t.not(g('alice').decrypt(encryptedPayload(bobCopy.raw)).code, 0, "alice cannot decrypt bob's copy");
  for (const d of relays) {
    const head = d.raw.subarray(0, d.raw.indexOf('\r\n\r\n')).toString();
    t.notMatch(head, SUBJECT_WORD, 'outer headers carry no word of the subject');
    t.notMatch(d.raw.toString(), SECRET, 'nothing of the body in the clear');
    t.match(d.subject, `[${caseId()}] encrypted message`);
    t.match(head, `Reply-To: <security+${caseId().toLowerCase()}@example.org>`);
    t.match(head, `List-Id: <${caseId().toLowerCase()}.security.example.org>`);
    t.match(head, 'References: <rep@reporter.example>');
  }
});

t.test("a member's reply (made by gpg) to the case address reaches everyone else and threads into the case", async (t) => {
  const id = caseId();
  const raw = pgpMime(
    { from: 'maint@libfoo.example', to: `security+${id.toLowerCase()}@example.org`, subject: 'Re: encrypted message', inReplyTo: '<rep@reporter.example>' },
    g('maint').encrypt(textPart('Confirmed; patch attached later.'), [team()]),
  );
  t.equal((await v.send(raw, { from: 'maint@libfoo.example', to: [`security+${id.toLowerCase()}@example.org`] })).code, 250);
  await v.settle();
  const out = v.take();
  t.same(out.map((d) => d.to).sort(), ['alice@example.org', 'bob@example.org', 'rita@reporter.example'], 'no echo to the sender');
  const dec = g('rita').decrypt(encryptedPayload(out.find((d) => d.to === 'rita@reporter.example')!.raw));
  t.match(dec.stdout.toString(), 'Confirmed; patch attached later.');
  t.match(dec.stdout.toString(), `good signature by ${g('maint').fingerprint('maint@libfoo.example')}`);
  t.equal(caseView(v.daemon.ctx.db, v.daemon.ctx.sealer, id)!.messages!.length, 2);
  t.equal(caseList(v.daemon.ctx.db, v.daemon.ctx.sealer).length, 1, 'no new case');
});

t.test('members without a usable key get nothing; the coordinators are told who and why', async (t) => {
  const raw = pgpMime({ from: 'rita@reporter.example', to: 'security@example.org', subject: 'libbar issue' }, g('rita').encrypt(textPart(`Project: libbar\n\n${SECRET}`), [team()]));
  t.equal((await v.send(raw, { from: 'rita@reporter.example', to: ['security@example.org'] })).code, 250);
  await v.settle();
  const out = v.take();
  const to = out.map((d) => d.to);
  for (const nobody of ['eve@libfoo.example', 'sam@libfoo.example', 'rex@libfoo.example', 'nokey@libfoo.example']) t.notOk(to.includes(nobody), `${nobody} receives nothing`);
  const alerts = out.filter((d) => d.to === 'alice@example.org').map((d) => g('alice').decrypt(encryptedPayload(d.raw)).stdout.toString());
  const alert = alerts.find((a) => a.includes('could not be relayed'));
  t.ok(alert, 'alice is told');
  t.match(alert, /eve@libfoo\.example: key has expired/);
  t.match(alert, /sam@libfoo\.example: key has no usable encryption subkey/);
  t.match(alert, /rex@libfoo\.example: key is revoked/);
  t.match(alert, /nokey@libfoo\.example: no usable key configured/);
  t.notMatch(alert, SECRET, 'the alert holds no case content');
});
