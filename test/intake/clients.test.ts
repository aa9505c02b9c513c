// Issue "Nothing a reporter sends is lost or garbled": reports as particular clients shape them,
// encrypted by gpg, sent over SMTP; each must open a case whose members can read it, and be
// acknowledged. Client layouts: test/helpers/clients.ts.
import t, { type Test } from 'tap';
import { simpleParser } from 'mailparser';
import { type Gpg, type Person } from '../helpers/gpg.js';
import { ipgmail, mailvelope, mailvelopeArmor, thunderbirdEncrypted, thunderbirdInner } from '../helpers/clients.js';
import { sendCommand } from '../helpers/commands.js';
import { pgpMime, plainMail, textPart, withAttachment } from '../helpers/mails.js';
import { encryptedPayload, startTestVmtd, type Delivered, type TestVmtd } from '../helpers/vmtd.js';
import { caseList, caseView } from '../../src/store/case-view.js';
import { decodeMessage } from '../../src/pgp/decode.js';

let v: TestVmtd;
let rita: Gpg;
let ron: Gpg;
let team: string;
t.before(async () => {
  v = await startTestVmtd();
  team = v.daemon.ctx.team.fingerprint;
  rita = v.gpg('rita');
  ron = v.gpg('ron');
});
t.teardown(() => v.stop());

const cases = () => caseList(v.daemon.ctx.db, v.daemon.ctx.sealer);
const view = (id: string) => caseView(v.daemon.ctx.db, v.daemon.ctx.sealer, id)!;
/** The outbox kind (ack, relay, alert …) of a delivered mail, by its Message-ID. */
const kindOf = (d: Delivered): string | undefined => {
  const mid = d.headers.find(([k]) => k === 'message-id')?.[1];
  return (v.daemon.ctx.db.prepare('SELECT kind FROM outbox WHERE message_id = ?').get(mid) as { kind: string } | undefined)?.kind;
};
const quarantined = () => v.daemon.ctx.db.prepare("SELECT id, reason FROM spool WHERE state = 'quarantined' ORDER BY id").all() as Array<{ id: number; reason: string }>;

interface Outcome {
  caseId: string;
  out: Delivered[];
  /** What `who` reads in their relayed copy (gpg --decrypt's output). */
  relayFor(who: Person): Promise<{ code: number; text: string; subject: string | undefined }>;
}

/** Sends a mail, waits, and asserts a new case was opened for it; returns that case and the mail that went out. */
async function expectNewCase(t: Test, raw: Buffer, from: string, to = 'security@example.org'): Promise<Outcome> {
  const before = cases().length;
  const q = quarantined().length;
  t.equal((await v.send(raw, { from, to: [to] })).code, 250, 'accepted over SMTP');
  await v.settle();
  t.equal(quarantined().length, q, 'nothing quarantined');
  t.equal(cases().length, before + 1, 'a case opened');
  const caseId = cases().at(-1)!.id;
  const out = v.take();
  return {
    caseId,
    out,
    async relayFor(who) {
      const copy = out.find((d) => d.to === `${who}@${who === 'maint' ? 'libfoo.example' : 'example.org'}` && kindOf(d) === 'relay');
      if (!copy) return { code: -1, text: '', subject: undefined };
      const dec = v.gpg(who).decrypt(encryptedPayload(copy.raw));
      return { code: dec.code, text: dec.stdout.toString(), subject: (await simpleParser(dec.stdout)).subject };
    },
  };
}

function ackArrived(t: Test, o: Outcome, to: string): void {
  const acks = o.out.filter((d) => d.to === to && kindOf(d) === 'ack');
  t.equal(acks.length, 1, `the acknowledgement reached ${to}`);
}

t.test('reports that begin with a header-like line open cases, signed or not; a signed command still applies', async (t) => {
  const starts = ['X-Forwarded-For: 1.2.3.4', 'X-Frame-Options: DENY', 'X-Case-Study: parser', 'X-Help: none, the server crashes'];
  for (const [n, first] of starts.entries()) {
    const from = `reporter${n}@reporter.example`;
    const text = `${first}\nHost: victim.example\n\nThe proxy trusts the first header and the parser overflows (report ${n}).`;
    const raw = pgpMime({ from, to: 'security@example.org', subject: `header report ${n}` }, rita.encrypt(textPart(text), [team], { sign: false }));
    const o = await expectNewCase(t, raw, from);
    t.match(view(o.caseId).messages, [{ kind: 'report', encrypted: true, signature: 'unsigned' }], `${first}: recorded as a report`);
    const relay = await o.relayFor('alice');
    t.equal(relay.code, 0, `${first}: the coordinator's copy decrypts`);
    t.match(relay.text, text.split('\n')[0]!, `${first}: the report text is in it`);
    t.match(relay.text, `report ${n}`);
    ackArrived(t, o, from);
  }

  // Signed by the reporter, sent to the intake: still a report (X-Frame-Options is no vmtd keyword).
  const ritaKey = rita.run(['--armor', '--export', 'rita@reporter.example']).stdout;
  const signedReport = withAttachment('X-Frame-Options: DENY\n\nclickjacking on the admin page', 'rita.asc', 'application/pgp-keys', ritaKey);
  const signedRaw = pgpMime({ from: 'rita@reporter.example', to: 'security@example.org', subject: 'signed header report' }, rita.encrypt(signedReport, [team]));
  const signed = await expectNewCase(t, signedRaw, 'rita@reporter.example');
  t.match(view(signed.caseId).messages, [{ kind: 'report', signature: 'good' }]);
  t.match((await signed.relayFor('alice')).text, 'clickjacking on the admin page');
  ackArrived(t, signed, 'rita@reporter.example');

  const r = await sendCommand(v, 'alice', signed.caseId, `X-CASE: ${signed.caseId}\nX-SEVERITY: high`);
  t.notMatch(r.answer, /FAILED|refused/, 'the coordinator is answered without failure');
  t.equal(view(signed.caseId).severity, 'high', 'a signed X-CASE command message applies');
});

t.test('Mailvelope (webmail): multipart/alternative with the armor in text/plain and as HTML opens a readable case', async (t) => {
  const text = 'Stored XSS in the wiki: <script> in a page title runs for every visitor.';
  const raw = mailvelope({ from: 'Ron Reporter <ron@reporter.example>', to: 'security@example.org', subject: 'XSS in wiki' }, mailvelopeArmor(ron.encrypt(text, [team], { sign: false })));
  t.match(raw.toString().replace(/=\r\n/g, ''), /<br>Version:&nbsp;Mailvelope v6\.1\.0<br>Comment: <a href=3D"https:\/\/www\.mailvelope\.com">/, 'the HTML alternative carries the armor with <br>, &nbsp; and a link');
  const o = await expectNewCase(t, raw, 'ron@reporter.example');
  t.match(view(o.caseId), { title: 'XSS in wiki', messages: [{ kind: 'report', encrypted: true }] });
  const relay = await o.relayFor('alice');
  t.equal(relay.code, 0, 'the relay decrypts');
  t.match(relay.text, text, 'the report text, not armor or HTML');
  t.notMatch(relay.text, /BEGIN PGP MESSAGE|<br>/);
  t.notMatch(relay.text, /unencrypted part/, 'the HTML rendition is not reported as a dropped clear part');
  ackArrived(t, o, 'ron@reporter.example');
});

t.test('an alternative message whose every rendition is broken armor is still quarantined with the reason', async (t) => {
  const armor = mailvelopeArmor(ron.encrypt('broken', [team], { sign: false }));
  const lines = armor.split('\n');
  const mid = lines.findIndex((l, i) => i > 4 && l.length > 40);
  lines[mid] = '*' + lines[mid]!.slice(1);
  const before = quarantined().length;
  t.equal((await v.send(mailvelope({ from: 'ron@reporter.example', to: 'security@example.org', subject: 'broken' }, lines.join('\n')), { from: 'ron@reporter.example', to: ['security@example.org'] })).code, 250);
  await v.settle();
  const q = quarantined();
  t.equal(q.length, before + 1);
  t.match(q.at(-1)!.reason, /armor|packets/);
  v.take();
});

t.test('iPGMail: the armored message in an application/pgp-encrypted part is decrypted, recorded as encrypted, and relayed readable', async (t) => {
  const text = 'Project: libfoo\n\nThe iOS app leaks the session token in its URL scheme handler.';
  const raw = ipgmail({ from: 'Ron Reporter <ron@reporter.example>', to: 'security@example.org', subject: 'token leak' }, ron.encrypt(text, [team]));
  const o = await expectNewCase(t, raw, 'ron@reporter.example');
  t.match(view(o.caseId), { messages: [{ kind: 'report', encrypted: true, signature: 'unknown-key' }], projects: [{ id: 'libfoo' }] });
  for (const who of ['alice', 'maint'] as const) {
    const relay = await o.relayFor(who);
    t.equal(relay.code, 0, `${who}'s copy decrypts`);
    t.match(relay.text, 'leaks the session token', `${who} reads the report text`);
    t.notMatch(relay.text, 'BEGIN PGP MESSAGE', 'no ciphertext relayed as if it were the report');
    t.match(relay.text, 'Encryption: was encrypted to the team key');
  }
  ackArrived(t, o, 'ron@reporter.example');

  // The same layout around an encrypted MIME entity (a text and a file) decodes to that entity.
  const mime = withAttachment('Trace attached.', 'trace.txt', 'text/plain', Buffer.from('frame #0 parse_url'));
  const d = await decodeMessage(ipgmail({ from: 'ron@reporter.example', to: 'security@example.org', subject: 'x' }, ron.encrypt(mime, [team], { sign: false })), { decryption: [v.daemon.ctx.team.privateKey], verification: [], date: new Date() });
  t.ok(d.ok && d.decoded.encrypted, 'decrypted');
  if (d.ok) {
    const parsed = await simpleParser(d.decoded.content);
    t.match(parsed.text, 'Trace attached.');
    t.same(parsed.attachments.map((a) => a.filename), ['trace.txt']);
  }
});

t.test('Thunderbird protected headers: an RFC 2047 encoded subject becomes the case title decoded', async (t) => {
  const h = { from: 'Rita Reporter <rita@reporter.example>', to: 'security@example.org', messageId: '<3f1e2d9c-tb@reporter.example>' };
  const inner = thunderbirdInner({ ...h, subject: '', encodedSubject: '=?UTF-8?Q?=C3=9Cberlauf_in_libfoo?=' }, 'Project: libfoo\n\nEin Pufferüberlauf in parse_header().');
  const o = await expectNewCase(t, thunderbirdEncrypted({ ...h, subject: '...' }, rita.encrypt(inner, [team], { sign: false })), 'rita@reporter.example');
  t.equal(view(o.caseId).title, 'Überlauf in libfoo', 'case title decoded');
  const relay = await o.relayFor('maint');
  t.equal(relay.code, 0);
  t.equal(relay.subject, `[${o.caseId}] Überlauf in libfoo`, 'the relayed (protected) subject is decoded too');
  t.match(relay.text, 'Pufferüberlauf');
  ackArrived(t, o, 'rita@reporter.example');
});

t.test('a reporter at the team domain whose name starts like the intake is acknowledged', async (t) => {
  const o = await expectNewCase(t, plainMail({ from: 'Bob Security <securitybob@example.org>', to: 'security@example.org', subject: 'from a colleague' }, 'Our staging host exposes .git'), 'securitybob@example.org');
  ackArrived(t, o, 'securitybob@example.org');
  t.equal((await o.relayFor('alice')).code, 0);
});

t.test('a Project: line naming an unregistered project is told to the members', async (t) => {
  const text = 'Project: libfoo, xyz\n\nBoth libraries share the vulnerable parser.';
  const o = await expectNewCase(t, pgpMime({ from: 'ron@reporter.example', to: 'security@example.org', subject: 'shared parser' }, ron.encrypt(textPart(text), [team], { sign: false })), 'ron@reporter.example');
  t.match(view(o.caseId).projects, [{ id: 'libfoo' }]);
  t.equal(view(o.caseId).projects!.length, 1, 'only the registered project is added');
  for (const who of ['alice', 'maint'] as const) {
    const relay = await o.relayFor(who);
    t.equal(relay.code, 0);
    t.match(relay.text, /Note: +the report names project "xyz", which is not registered/, `${who} is told`);
  }
});

t.test('a coordinator reply "Re: [ID] x" keeps "Re: " before the tag in the relayed subject', async (t) => {
  const o = await expectNewCase(t, plainMail({ from: 'nina@reporter.example', to: 'security@example.org', subject: 'open redirect' }, 'The login page redirects anywhere.'), 'nina@reporter.example');
  const raw = pgpMime({ from: 'alice@example.org', to: `security+${o.caseId.toLowerCase()}@example.org`, subject: `Re: [${o.caseId}] open redirect` }, v.gpg('alice').encrypt(textPart('Confirmed on staging.'), [team]));
  t.equal((await v.send(raw, { from: 'alice@example.org', to: [`security+${o.caseId.toLowerCase()}@example.org`] })).code, 250);
  await v.settle();
  const out = v.take();
  const copy = out.find((d) => d.to === 'bob@example.org' && kindOf(d) === 'relay')!;
  t.ok(copy, 'bob gets the reply');
  t.equal(copy.subject, `[${o.caseId}] encrypted message`, 'the outer subject says nothing');
  const dec = v.gpg('bob').decrypt(encryptedPayload(copy.raw));
  t.equal(dec.code, 0);
  t.equal((await simpleParser(dec.stdout)).subject, `Re: [${o.caseId}] open redirect`);
  t.match(dec.stdout.toString(), 'Confirmed on staging.');
});
