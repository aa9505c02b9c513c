// Issue 2: an encrypted report becomes a case and the reporter gets a signed (encrypted) answer.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { simpleParser } from 'mailparser';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pubKey, type Gpg } from '../helpers/gpg.js';
import { pgpMime, plainMail, textPart, withAttachment } from '../helpers/mails.js';
import { encryptedPayload, startTestVmtd, type TestVmtd } from '../helpers/vmtd.js';
import { caseList, caseView } from '../../src/store/case-view.js';

const SECRET = 'frobnicator-overflow-XYZZY-4711';

let v: TestVmtd;
let rita: Gpg;
let ron: Gpg;
let teamFpr: string;
t.before(async () => {
  v = await startTestVmtd();
  teamFpr = v.daemon.ctx.team.fingerprint;
  rita = v.gpg('rita');
  ron = v.gpg('ron');
});
t.teardown(() => v.stop());

const cases = () => caseList(v.daemon.ctx.db, v.daemon.ctx.sealer);

function ackFor(to: string) {
  const acks = v.take().filter((d) => d.to === to && /Report received|encrypted message/.test(d.subject));
  return acks;
}

t.test('a PGP/MIME report by gpg (ed25519/cv25519) opens a case; the ack is encrypted to the reporter and signed by the team', async (t) => {
  const inner = withAttachment(`Project: libfoo\n\nThe parser overflows: ${SECRET}`, 'rita.asc', 'application/pgp-keys', Buffer.from(pubKey('rita')));
  const raw = pgpMime({ from: 'Rita Reporter <rita@reporter.example>', to: 'security@example.org', subject: `Overflow ${SECRET}`, messageId: '<report-1@reporter.example>' }, rita.encrypt(inner, [teamFpr]));
  const r = await v.send(raw, { from: 'rita@reporter.example', to: ['security@example.org'] });
  t.equal(r.code, 250);
  await v.settle();
  const list = cases();
  t.equal(list.length, 1, 'one case');
  const c = list[0]!;
  t.match(c.id, /^SEC-\d{4}-0001$/);
  t.equal(c.state, 'new');
  t.same(c.projects, [{ id: 'libfoo', status: 'unknown' }], 'Project: line names the project');
  t.same(
    c.members.map((m) => [m.role, m.email]),
    [
      ['coordinator', 'alice@example.org'],
      ['coordinator', 'bob@example.org'],
      ['reporter', 'rita@reporter.example'],
      ['project-contact', 'maint@libfoo.example'],
    ],
  );
  t.equal(c.members.find((m) => m.role === 'reporter')!.fingerprint, rita.fingerprint('rita@reporter.example'), "reporter's attached key learned");
  const shown = caseView(v.daemon.ctx.db, v.daemon.ctx.sealer, c.id)!;
  t.match(shown.messages, [{ kind: 'report', encrypted: true, signature: 'good', signer: rita.fingerprint('rita@reporter.example'), messageId: '<report-1@reporter.example>' }]);

  const acks = ackFor('rita@reporter.example');
  t.equal(acks.length, 1, 'one acknowledgement');
  const ack = acks[0]!;
  t.match(ack.returnPath, /^<security-bounces\+\d+-[0-9a-v]{16}@example\.org>$/, 'VERP envelope sender: outbox id and its token');
  t.notMatch(ack.raw.toString(), SECRET, 'nothing of the report in the clear');
  const d = rita.decrypt(encryptedPayload(ack.raw));
  t.equal(d.code, 0, 'gpg decrypts the ack as the reporter');
  t.match(d.status, `VALIDSIG ${teamFpr}`, 'signed by the team key');
  t.match(d.stdout.toString(), c.id);
  t.match(d.stdout.toString(), `security+${c.id.toLowerCase()}@example.org`);
});

t.test('an inline PGP report from an RSA key with an Autocrypt header opens a case; the ack is encrypted to that key', async (t) => {
  const before = cases().length;
  const keydata = ron.run(['--export', 'ron@reporter.example']).stdout.toString('base64');
  const raw = plainMail(
    { from: 'ron@reporter.example', to: 'security@example.org', subject: 'inline report', extra: [`Autocrypt: addr=ron@reporter.example; keydata=${keydata}`] },
    ron.encrypt(`Inline: ${SECRET}`, [teamFpr]),
  );
  t.equal((await v.send(raw, { from: 'ron@reporter.example', to: ['security@example.org'] })).code, 250);
  await v.settle();
  t.equal(cases().length, before + 1);
  const c = cases().at(-1)!;
  t.equal(c.members.find((m) => m.role === 'reporter')?.fingerprint, ron.fingerprint('ron@reporter.example'));
  const acks = ackFor('ron@reporter.example');
  t.equal(acks.length, 1);
  const d = ron.decrypt(encryptedPayload(acks[0]!.raw));
  t.equal(d.code, 0, 'gpg (RSA) decrypts');
  t.match(d.status, `VALIDSIG ${teamFpr}`);
});

t.test('a reporter without a known key gets a short clear-signed ack that repeats nothing of the report', async (t) => {
  const raw = plainMail({ from: 'anon@nokey.example', to: 'security@example.org', subject: `Plain ${SECRET}` }, `Details: ${SECRET}`);
  t.equal((await v.send(raw, { from: 'anon@nokey.example', to: ['security@example.org'] })).code, 250);
  await v.settle();
  const c = cases().at(-1)!;
  t.match(caseView(v.daemon.ctx.db, v.daemon.ctx.sealer, c.id)!.messages, [{ encrypted: false, signature: 'unsigned' }]);
  const acks = v.take().filter((d) => d.to === 'anon@nokey.example');
  t.equal(acks.length, 1);
  const body = acks[0]!.raw.toString();
  t.notMatch(body, SECRET);
  t.notMatch(body, 'Plain');
  t.match(body, c.id);
  const verify = rita.verify(body.slice(body.indexOf('-----BEGIN PGP SIGNED MESSAGE-----')));
  t.match(verify.status, `VALIDSIG ${teamFpr}`, 'gpg verifies the clear-signed ack');
});

t.test('follow-ups thread into the same case by In-Reply-To, case address and subject tag', async (t) => {
  const c = cases()[0]!;
  const n = () => caseView(v.daemon.ctx.db, v.daemon.ctx.sealer, c.id)!.messages!.length;
  const start = n();
  const ackId = v.delivered().find((d) => d.to === 'rita@reporter.example')!.headers.find(([k]) => k === 'message-id')![1];
  const send = async (subject: string, to: string, extra: { inReplyTo?: string } = {}) => {
    const raw = pgpMime({ from: 'rita@reporter.example', to, subject, ...extra }, rita.encrypt(textPart('more details'), [teamFpr]));
    t.equal((await v.send(raw, { from: 'rita@reporter.example', to: [to] })).code, 250);
    await v.settle();
  };
  await send('Re: your ack', 'security@example.org', { inReplyTo: ackId });
  t.equal(n(), start + 1, 'reply to the ack (In-Reply-To)');
  await send('more', `security+${c.id.toLowerCase()}@example.org`);
  t.equal(n(), start + 2, 'sent to the case address');
  await send(`Re: [${c.id}] more`, 'security@example.org');
  t.equal(n(), start + 3, 'subject tag');
  t.equal(cases().length, 3, 'no new case opened');
  v.take();
});

t.test('RCPT outside our addresses is refused with 550; oversized mail with 552', async (t) => {
  const raw = plainMail({ from: 'x@y.example', to: 'victim@elsewhere.example', subject: 'relay?' }, 'hi');
  const r = await v.send(raw, { from: 'x@y.example', to: ['victim@elsewhere.example'] });
  t.equal(r.code, 550);
  const r2 = await v.send(raw, { from: 'x@y.example', to: ['postmaster@example.org'] });
  t.equal(r2.code, 550, 'unknown local part of our domain too');
  const big = plainMail({ from: 'x@y.example', to: 'security@example.org', subject: 'big' }, 'A'.repeat(v.config.smtp.maxMessageBytes + 10));
  const r3 = await v.send(big, { from: 'x@y.example', to: ['security@example.org'] });
  t.equal(r3.code, 552);
});

t.test('broken armor is quarantined with a reason, coordinators are told, and the next report still opens a case', async (t) => {
  const before = cases().length;
  const armored = rita.encrypt(textPart(SECRET), [teamFpr]);
  // Damage the base64 body: a run of characters replaced, as a mangling gateway would.
  const lines = armored.split('\n');
  const mid = lines.findIndex((l, i) => i > 2 && l.length > 40);
  lines[mid] = 'AAAA' + lines[mid]!.slice(4, 20) + 'ZZZZ' + lines[mid]!.slice(24);
  const broken = lines.join('\n');
  const raw = pgpMime({ from: 'rita@reporter.example', to: 'security@example.org', subject: 'broken' }, broken);
  t.equal((await v.send(raw, { from: 'rita@reporter.example', to: ['security@example.org'] })).code, 250);
  await v.settle();
  const q = v.daemon.ctx.db.prepare("SELECT reason FROM spool WHERE state = 'quarantined'").all() as Array<{ reason: string }>;
  t.equal(q.length, 1);
  t.match(q[0]!.reason, /armor|packets|decrypt/);
  t.notMatch(q[0]!.reason, SECRET);
  const out = v.take();
  const alerts = out.filter((d) => d.to === 'alice@example.org' || d.to === 'bob@example.org');
  t.equal(alerts.length, 2, 'each coordinator is told');
  const d = v.gpg('alice').decrypt(encryptedPayload(alerts.find((a) => a.to === 'alice@example.org')!.raw));
  t.match(d.stdout.toString(), /quarantined/);
  t.match(out.filter((d) => d.to === 'rita@reporter.example').map((d) => d.raw.toString()).join(''), /could not be read/, 'the sender is told, without content');

  const good = pgpMime({ from: 'rita@reporter.example', to: 'security@example.org', subject: 'good one' }, rita.encrypt(textPart('fine'), [teamFpr]));
  t.equal((await v.send(good, { from: 'rita@reporter.example', to: ['security@example.org'] })).code, 250);
  await v.settle();
  t.equal(cases().length, before + 1);
});

t.test('mail to a key that is not the team key is quarantined, not decrypted', async (t) => {
  rita.importKey(pubKey('mallory'));
  const raw = pgpMime({ from: 'rita@reporter.example', to: 'security@example.org', subject: 'wrong key' }, rita.encrypt(textPart(SECRET), [v.gpg('mallory').fingerprint('mallory@evil.example')]));
  await v.send(raw, { from: 'rita@reporter.example', to: ['security@example.org'] });
  await v.settle();
  const q = v.daemon.ctx.db.prepare("SELECT reason FROM spool WHERE state = 'quarantined' ORDER BY id DESC LIMIT 1").get() as { reason: string };
  t.match(q.reason, 'not the team key');
});

t.test('a report over 1 MiB is spooled sealed in a file of its own (0600), opens a case, and reaches the members whole', async (t) => {
  const before = cases().length;
  v.take();
  const attachment = Buffer.concat([Buffer.from(`${SECRET}\n`), randomBytes(1_500_000)]);
  const entity = withAttachment(`report with a large trace: ${SECRET}`, 'trace.bin', 'application/octet-stream', attachment);
  const raw = pgpMime({ from: 'rita@reporter.example', to: 'security@example.org', subject: 'large' }, rita.encrypt(entity, [teamFpr]));
  t.equal((await v.send(raw, { from: 'rita@reporter.example', to: ['security@example.org'] })).code, 250);
  await v.settle();
  t.equal(cases().length, before + 1, 'a case was opened');
  const row = v.daemon.ctx.db.prepare('SELECT raw_file, length(raw_sealed) AS inline FROM spool ORDER BY id DESC LIMIT 1').get() as { raw_file: string | null; inline: number };
  t.ok(row.raw_file, 'the spool row names a file');
  t.equal(row.inline, 0, 'and holds no copy itself');
  t.equal(statSync(join(v.dir, 'data', 'spool', row.raw_file!)).mode & 0o777, 0o600, 'the spool file is 0600');
  const content = v.daemon.ctx.db.prepare('SELECT content_file, length(content_sealed) AS inline FROM messages ORDER BY id DESC LIMIT 1').get() as { content_file: string | null; inline: number };
  const payload = v.daemon.ctx.db.prepare('SELECT file, length(data) AS inline FROM payloads ORDER BY id DESC LIMIT 1').get() as { file: string | null; inline: number };
  t.ok(content.content_file && content.inline === 0, "the message's sealed content is a file of its own, not in the database");
  t.ok(payload.file && payload.inline === 0, "the relay's encrypted data is a file of its own, not in the database");
  for (const f of [content.content_file!, payload.file!]) t.equal(statSync(join(v.dir, 'data', 'blobs', f)).mode & 0o777, 0o600, `${f} is 0600`);
  const relay = v.take().find((d) => d.to === 'alice@example.org' && /encrypted message/.test(d.subject));
  t.ok(relay, 'the coordinator got the relay');
  const dec = v.gpg('alice').decrypt(encryptedPayload(relay!.raw));
  t.match(dec.status, `VALIDSIG ${teamFpr}`, 'gpg verifies the team signature on the large relay');
  const plain = dec.stdout;
  const parsed = await simpleParser(plain);
  const relayed = parsed.attachments.find((a) => a.filename === 'trace.bin');
  t.ok(relayed?.content.equals(attachment), 'the attachment is relayed byte for byte');

  // A report sent without encryption is sealed on its way to disk too (the walk below checks all files).
  const plainRaw = plainMail({ from: 'rita@reporter.example', to: 'security@example.org', subject: 'large, in clear' }, `${SECRET}\n${'x'.repeat(1_200_000)}`);
  t.equal((await v.send(plainRaw, { from: 'rita@reporter.example', to: ['security@example.org'] })).code, 250);
  await v.settle();
  const file = (v.daemon.ctx.db.prepare('SELECT raw_file FROM spool ORDER BY id DESC LIMIT 1').get() as { raw_file: string | null }).raw_file;
  t.ok(file && !readFileSync(join(v.dir, 'data', 'spool', file)).includes(SECRET), 'its spool file does not hold the text in clear');
});

t.test('no plaintext of an encrypted report anywhere under the data directory', async (t) => {
  const hits: string[] = [];
  const walk = (dir: string): void => {
    for (const f of readdirSync(dir)) {
      const p = join(dir, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (readFileSync(p).includes(SECRET) || readFileSync(p).includes(Buffer.from(SECRET, 'utf16le'))) hits.push(p);
    }
  };
  walk(join(v.dir, 'data'));
  t.same(hits, [], 'the secret phrase is found nowhere (database, WAL, keys)');
  const mode = statSync(join(v.dir, 'data', 'team.key')).mode & 0o777;
  t.equal(mode, 0o600, 'team key is 0600');
  t.equal(statSync(join(v.dir, 'data', 'data.key')).mode & 0o777, 0o600, 'data key is 0600');
});

t.test('no automatic answer to automatic mail; acknowledgements are rate-limited per sender', async (t) => {
  v.take();
  const shapes: Array<[string, string[], string]> = [
    ['Auto-Submitted', ['Auto-Submitted: auto-replied'], 'auto@responder.example'],
    ['Precedence: bulk', ['Precedence: bulk'], 'bulk@list.example'],
    ['List-Id', ['List-Id: <announce.list.example>'], 'list@list.example'],
  ];
  for (const [name, extra, from] of shapes) {
    await v.send(plainMail({ from, to: 'security@example.org', subject: name, extra }, 'out of office'), { from, to: ['security@example.org'] });
  }
  await v.send(plainMail({ from: 'null@sender.example', to: 'security@example.org', subject: 'null sender' }, 'x'), { from: '', to: ['security@example.org'] });
  await v.settle();
  const to = v.take().map((d) => d.to);
  for (const a of ['auto@responder.example', 'bulk@list.example', 'list@list.example', 'null@sender.example']) t.notOk(to.includes(a), `no answer to ${a}`);

  for (let i = 0; i < 25; i++) await v.send(plainMail({ from: 'storm@sender.example', to: 'security@example.org', subject: `storm ${i}` }, 'x'), { from: 'storm@sender.example', to: ['security@example.org'] });
  await v.settle();
  const acks = v.take().filter((d) => d.to === 'storm@sender.example');
  // 25 reports in a burst: 10 open cases (policy.casesPerSenderPerHour), each acknowledged; the
  // other 15 are quarantined (releasable) and not answered.
  t.equal(acks.length, 10, 'one acknowledgement per case opened, at most policy.casesPerSenderPerHour');
  const held = v.daemon.ctx.db.prepare("SELECT COUNT(*) AS n FROM spool WHERE state = 'quarantined' AND reason LIKE 'rate limit: more than 10 new cases from storm@sender.example%'").get() as { n: number };
  t.equal(held.n, 15, 'the excess is quarantined with the limit as its reason');
});
