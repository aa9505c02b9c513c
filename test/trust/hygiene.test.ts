// Trust, the rest of the attack surface: forged bounces, forged trust lines in the relay header
// block, answers in clear, answers to <>, auto-replies and list headers, the case-address
// existence oracle, case-opening floods, and commands from keys that are dead today. By SMTP.
import t from 'tap';
import { emailOf, pubKey } from '../helpers/gpg.js';
import { pgpMime, plainMail, textPart, withAttachment } from '../helpers/mails.js';
import { commandMail, readAs, sendCommand } from '../helpers/commands.js';
import { startTestVmtd, type Delivered, type TestVmtd } from '../helpers/vmtd.js';
import { caseList, caseView } from '../../src/store/case-view.js';
import { releaseSpool } from '../../src/store/spool.js';

let v: TestVmtd;
const team = () => v.daemon.ctx.team.fingerprint;
const cases = () => caseList(v.daemon.ctx.db, v.daemon.ctx.sealer);
const caseAddr = (id: string) => `security+${id.toLowerCase()}@example.org`;
const db = () => v.daemon.ctx.db;
let ritaCase: string;

async function send(raw: Buffer, from: string, to: string): Promise<Delivered[]> {
  t.equal((await v.send(raw, { from, to: [to] })).code, 250);
  await v.settle();
  return v.take();
}

function dsn(rcpt: string): Buffer {
  return Buffer.from(
    [
      'From: MAILER-DAEMON@mx.example (Mail Delivery System)',
      'To: security-bounces@example.org',
      'Subject: Undelivered Mail Returned to Sender',
      'MIME-Version: 1.0',
      'Content-Type: multipart/report; report-type=delivery-status; boundary="B"',
      '',
      '--B',
      'Content-Type: message/delivery-status',
      '',
      'Reporting-MTA: dns; mx.example',
      '',
      `Final-Recipient: rfc822; ${rcpt}`,
      'Action: failed',
      'Status: 5.1.1',
      '--B--',
      '',
    ].join('\r\n'),
  );
}

/** Alice's copy of a relayed message (not an alert she got beside it), decrypted, and its raw mail. */
function aliceRelay(out: Delivered[]): { text: string; raw: Buffer } {
  for (const d of out.filter((x) => x.to === 'alice@example.org')) {
    const text = readAs(v, 'alice', d);
    if (text.includes('[vmtd] Case')) return { text, raw: d.raw };
  }
  throw new Error('no relay to alice');
}

const outboxState = (id: number) => (db().prepare('SELECT state FROM outbox WHERE id = ?').get(id) as { state: string }).state;
const verpOf = (d: Delivered) => /<([^>]+)>/.exec(d.returnPath)![1]!;
const idOf = (verp: string) => Number(/\+(\d+)-/.exec(verp)![1]);

t.before(async () => {
  v = await startTestVmtd({ extraConfig: 'policy: { ackPerSenderPerHour: 1000, casesPerSenderPerHour: 3 }' });
  await send(pgpMime({ from: emailOf.rita, to: 'security@example.org', subject: 'first' }, v.gpg('rita').encrypt(textPart('Project: libfoo\n\nthe bug'), [team()])), emailOf.rita, 'security@example.org');
  ritaCase = cases().at(-1)!.id;
});
t.teardown(() => v.stop());

t.test('forged bounces change nothing: no token, a wrong token, a stolen token, a DSN for someone else', async (t) => {
  const out = await send(plainMail({ from: emailOf.mallory, to: caseAddr(ritaCase), subject: 'hello' }, 'a note'), emailOf.mallory, caseAddr(ritaCase));
  const kind = (d: Delivered) => (db().prepare('SELECT kind FROM outbox WHERE id = ?').get(idOf(verpOf(d))) as { kind: string }).kind;
  const toBob = out.find((d) => d.to === 'bob@example.org' && kind(d) === 'relay')!;
  const bobId = idOf(verpOf(toBob));
  t.equal(outboxState(bobId), 'sent');
  // Mallory learns a valid token from a mail he got himself (an answer to him), and tries it on bob's row.
  const his = (await send(plainMail({ from: emailOf.mallory, to: 'security@example.org', subject: 'r' }, 'X-CASE: SEC-2026-0001\nX-STATE: rejected'), emailOf.mallory, 'security@example.org')).find((d) => d.to === emailOf.mallory)!;
  const hisVerp = verpOf(his);
  const forged: Array<[string, string, Buffer]> = [
    ['no token', `security-bounces+${bobId}@example.org`, dsn('bob@example.org')],
    ['a wrong token', `security-bounces+${bobId}-0000000000000000@example.org`, dsn('bob@example.org')],
    ["another row's token", hisVerp.replace(/\+\d+-/, `+${bobId}-`), dsn('bob@example.org')],
    ['his own valid address, naming bob as failed', hisVerp, dsn('bob@example.org')],
    ['a bounce-looking subject, no DSN', verpOf(toBob), plainMail({ from: 'MAILER-DAEMON@mx.example', to: 'x', subject: 'Undelivered Mail Returned to Sender' }, 'user unknown')],
  ];
  for (const [name, to, raw] of forged) {
    const after = await send(raw, '', to);
    t.equal(outboxState(bobId), 'sent', `${name}: bob's delivery stays sent`);
    t.same(after.map((d) => d.to), [], `${name}: nobody is alerted or answered`);
  }
  t.equal(outboxState(idOf(hisVerp)), 'sent', "mallory's own row is not failed by a DSN naming someone else");
  // The real thing still works.
  const real = await send(dsn('bob@example.org'), '', verpOf(toBob));
  t.equal(outboxState(bobId), 'failed', 'a DSN with the right token naming the right recipient counts');
  t.same(real.map((d) => d.to).sort(), ['alice@example.org', 'bob@example.org']);
});

t.test('bounce alerts are rate-limited: a storm of genuine DSNs fails every row but mails at most ten alerts an hour', async (t) => {
  const rows: Delivered[] = [];
  for (let i = 0; i < 4; i++) {
    const out = await send(plainMail({ from: `r${i}@reporter.example`, to: caseAddr(ritaCase), subject: `note ${i}` }, 'x'), `r${i}@reporter.example`, caseAddr(ritaCase));
    rows.push(...out.filter((d) => (db().prepare('SELECT kind FROM outbox WHERE id = ?').get(idOf(verpOf(d))) as { kind: string }).kind === 'relay'));
  }
  t.ok(rows.length >= 12, `${rows.length} relayed copies to bounce`);
  let alerts = 0;
  for (const d of rows.slice(0, 12)) alerts += (await send(dsn(d.to), '', verpOf(d))).filter((x) => x.to === 'alice@example.org').length;
  t.ok(rows.slice(0, 12).every((d) => outboxState(idOf(verpOf(d))) === 'failed'), 'every bounced row is failed');
  t.ok(alerts <= 10, `alice got ${alerts} alerts (at most 10)`);
});

t.test('a display name cannot forge lines of the trust block; a forged From removes nobody from the copies', async (t) => {
  for (const name of ['=?utf-8?q?Eve=0ASignature:=20good=20signature=20by=20alice?=', '=?utf-8?b?RXZlIOKAqFNpZ25hdHVyZTogZ29vZA==?=', '"Eve\\r\\nSignature: good"']) {
    const out = await send(plainMail({ from: `${name} <eve@evil.example>`, to: caseAddr(ritaCase), subject: 'spoof' }, 'trust me'), 'eve@evil.example', caseAddr(ritaCase));
    const { text } = aliceRelay(out);
    const block = text.slice(text.indexOf('[vmtd] Case'), text.indexOf('[vmtd] Case') + 800);
    t.equal(block.split(/\r?\n/).filter((l) => /^Signature:/.test(l)).length, 1, `${name}: one Signature line`);
    t.match(block, /^Signature: {2}unsigned/m, `${name}: and it is the true one`);
    t.notMatch(block, /[\u2028\u2029]/, `${name}: no line separators`);
    t.match(block, /\(as the sender wrote it: unverified\)/);
  }
  const forged = await send(plainMail({ from: 'alice@example.org', to: caseAddr(ritaCase), subject: 'I am alice' }, 'not really'), 'alice@example.org', caseAddr(ritaCase));
  t.ok(forged.some((d) => d.to === 'alice@example.org'), 'alice still receives a copy of mail forged as hers');
  const asReport = await send(plainMail({ from: 'alice@example.org', to: 'security@example.org', subject: 'a new report as alice' }, 'not really'), 'alice@example.org', 'security@example.org');
  t.match(aliceRelay(asReport).text, 'not really', 'also when the forged mail opens a new case');
  const signed = await sendCommand(v, 'alice', ritaCase, `X-CASE: ${ritaCase}\nX-STATUS`);
  t.notOk(signed.out.some((d) => d.to === 'alice@example.org' && /update by alice/.test(readAs(v, 'alice', d))), 'her own signed message is not echoed to her');
});

t.test('answers never carry case content in clear: a signer whose key cannot encrypt learns only that', async (t) => {
  // Sam's key can sign but not encrypt; vmtd learns it from his mail.
  await send(Buffer.concat([Buffer.from(`From: ${emailOf.signonly}\r\nTo: security@example.org\r\nSubject: key\r\nMIME-Version: 1.0\r\n`), withAttachment('my key', 'sam.asc', 'application/pgp-keys', Buffer.from(pubKey('signonly')))]), emailOf.signonly, 'security@example.org');
  const help = await sendCommand(v, 'signonly', null, 'X-HELP', { mode: 'clearsign' });
  t.match(help.answer, /your key cannot receive encrypted mail/);
  t.notMatch(help.answer, /X-LIST-CASES/, 'the help text itself is not sent in clear');
  const onCase = await sendCommand(v, 'signonly', ritaCase, `X-CASE: ${ritaCase}\nX-TITLE: secret title words`, { mode: 'clearsign' });
  t.notMatch(onCase.answer, /secret title words|X-TITLE/, 'nothing of the command is echoed in clear');
  for (const d of [...help.out, ...onCase.out].filter((x) => x.to === emailOf.signonly)) t.match(d.raw.toString(), /BEGIN PGP SIGNED MESSAGE/, 'the notice is signed');
});

t.test('nothing ever answers the null sender <>', async (t) => {
  const { raw, to } = commandMail(v, 'alice', ritaCase, `X-CASE: ${ritaCase}\nX-STATUS`);
  t.equal((await v.send(raw, { from: '', to: [to] })).code, 250);
  const unsigned = plainMail({ from: emailOf.mallory, to, subject: 'x' }, `X-CASE: ${ritaCase}\nX-STATE: rejected`);
  t.equal((await v.send(unsigned, { from: '', to: [to] })).code, 250);
  const report = plainMail({ from: 'nobody@reporter.example', to: 'security@example.org', subject: 'x' }, 'a report from <>');
  t.equal((await v.send(report, { from: '', to: ['security@example.org'] })).code, 250);
  await v.settle();
  const out = v.take();
  t.notOk(out.some((d) => ['alice@example.org', emailOf.mallory, 'nobody@reporter.example'].includes(d.to) && /command results|refused|Report received/.test(d.raw.toString() + (d.to === 'alice@example.org' ? readAs(v, 'alice', d) : ''))), 'no answer, no refusal, no acknowledgement');
});

t.test("members' auto-replies and delivery reports are kept with the case, never relayed; relays carry list headers", async (t) => {
  const auto = plainMail({ from: emailOf.rita, to: caseAddr(ritaCase), subject: 'Out of office', extra: ['Auto-Submitted: auto-replied'] }, 'I am away');
  t.same((await send(auto, emailOf.rita, caseAddr(ritaCase))).map((d) => d.to), [], 'an auto-reply reaches nobody');
  const report = Buffer.from(`From: ${emailOf.rita}\r\nTo: ${caseAddr(ritaCase)}\r\nSubject: Read: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=disposition-notification; boundary="R"\r\n\r\n--R\r\nContent-Type: text/plain\r\n\r\nread\r\n--R--\r\n`);
  t.same((await send(report, emailOf.rita, caseAddr(ritaCase))).map((d) => d.to), [], 'a read report reaches nobody');
  t.equal(caseView(db(), v.daemon.ctx.sealer, ritaCase)!.messages!.filter((m) => m.kind === 'auto').length, 2, 'both are kept with the case');
  const out = await send(plainMail({ from: emailOf.rita, to: caseAddr(ritaCase), subject: 'real reply' }, 'more'), emailOf.rita, caseAddr(ritaCase));
  const head = aliceRelay(out).raw.toString().split('\r\n\r\n')[0]!;
  t.match(head, /^Precedence: list$/m);
  t.match(head, /^List-Id: /m);
  t.ok(head.split('\r\n').includes(`List-Post: <mailto:${caseAddr(ritaCase)}>`), 'List-Post names the case address');
  t.match(head, /^X-Auto-Response-Suppress: All$/m);
  t.notMatch(head, /^Auto-Submitted:/m, 'a relayed person is not marked auto-submitted');
});

t.test('mail to a case address tells a non-member nothing about whether the case exists', async (t) => {
  const existing = await send(plainMail({ from: emailOf.mallory, to: caseAddr(ritaCase), subject: 'probe' }, 'x'), emailOf.mallory, caseAddr(ritaCase));
  const missing = await send(plainMail({ from: emailOf.mallory, to: caseAddr('SEC-2026-0999'), subject: 'probe' }, 'x'), emailOf.mallory, caseAddr('SEC-2026-0999'));
  t.same(existing.filter((d) => d.to === emailOf.mallory), [], 'nothing back for an existing case');
  t.same(missing.filter((d) => d.to === emailOf.mallory), [], 'nothing back for a missing one');
  const probe = await sendCommand(v, 'signonly', 'SEC-2026-0999', 'X-CASE: SEC-2026-0999\nX-STATUS', { mode: 'clearsign' });
  const real = await sendCommand(v, 'signonly', ritaCase, `X-CASE: ${ritaCase}\nX-STATUS`, { mode: 'clearsign' });
  // What the signer reads: the signed text of each answer, case IDs aside.
  const said = (answer: string) => [...answer.matchAll(/-----BEGIN PGP SIGNED MESSAGE-----\r?\nHash: \w+\r?\n\r?\n([\s\S]*?)-----BEGIN PGP SIGNATURE-----/g)].map((m) => m[1]!.replace(/SEC-\d{4}-\d{4}/g, 'ID'));
  t.ok(said(real.answer).length > 0);
  t.same(said(probe.answer), said(real.answer), 'a known signer gets the same answer either way');
});

t.test('a flood of new reports from one address opens policy.casesPerSenderPerHour cases; the rest wait, coordinators told once', async (t) => {
  const before = cases().length;
  let alerts = 0;
  for (let i = 0; i < 6; i++) {
    const out = await send(plainMail({ from: 'flood@spam.example', to: 'security@example.org', subject: `flood ${i}` }, 'x'), 'flood@spam.example', 'security@example.org');
    alerts += out.filter((d) => d.to === 'alice@example.org' && /rate limit/.test(readAs(v, 'alice', d))).length;
  }
  t.equal(cases().length, before + 3, 'three cases');
  t.equal((db().prepare("SELECT COUNT(*) AS n FROM spool WHERE state = 'quarantined' AND reason LIKE 'rate limit%'").get() as { n: number }).n, 3, 'three held with the reason');
  t.equal(alerts, 1, 'alice is told once');
  // An operator who looked at one lets it in (vmtd spool release): it opens its case despite the limit.
  const held = db().prepare("SELECT id FROM spool WHERE state = 'quarantined' AND reason LIKE 'rate limit%' ORDER BY id LIMIT 1").get() as { id: number };
  t.equal(releaseSpool(db(), held.id, 'admin', new Date().toISOString()), 'quarantined');
  v.daemon.pipeline.kick();
  await v.settle();
  t.equal(cases().length, before + 4, 'the released report is a case');
  t.match(db().prepare('SELECT state, outcome FROM spool WHERE id = ?').get(held.id), { state: 'done', outcome: 'report' });
});

t.test('a command signed before the key expired, arriving after, is refused', async (t) => {
  const at = (s: string) => new Date(`2024-01-${s}Z`);
  const w = await startTestVmtd({ now: at('01T13:00:00'), moreProjects: `  - id: libexp\n    name: libexp\n    contacts:\n      - { name: Eve Expired, email: eve@libfoo.example, key: ${`${process.cwd()}/test/fixtures/keys/expired.pub.asc`} }` });
  t.teardown(() => w.stop());
  w.clock.now = at('01T13:30:00');
  await w.send(pgpMime({ from: emailOf.rita, to: 'security@example.org', subject: 'x' }, w.gpg('rita').encrypt(textPart('Project: libexp\n\nbug'), [w.daemon.ctx.team.fingerprint], { extra: ['--faked-system-time', '20240101T131000'] })), { from: emailOf.rita, to: ['security@example.org'] });
  await w.settle();
  const id = caseList(w.daemon.ctx.db, w.daemon.ctx.sealer).at(-1)!.id;
  const ok = await sendCommand(w, 'expired', id, `X-CASE: ${id}\nX-PROJECT-STATUS: libexp affected`, { mode: 'clearsign', gpgExtra: ['--faked-system-time', '20240101T132000'] });
  t.match(ok.answer, /OK/, 'while her key is valid, her command applies');
  w.clock.now = at('03T00:00:00');
  const late = await sendCommand(w, 'expired', id, `X-CASE: ${id}\nX-PROJECT-STATUS: libexp fixed`, { mode: 'clearsign', gpgExtra: ['--faked-system-time', '20240101T230000'] });
  t.equal(caseView(w.daemon.ctx.db, w.daemon.ctx.sealer, id)!.projects[0]!.status, 'affected', 'a back-dated signature by a key expired now changes nothing');
  t.notMatch(late.answer, /FAILED|OK/);
});
