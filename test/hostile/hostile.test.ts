// Issue 8: hostile input gets a safe outcome (an SMTP code, a quarantine with a reason, or a case),
// never a crash, a hang, or a plaintext leak; the daemon keeps serving throughout.
import t from 'tap';
import { Socket } from 'node:net';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { buildCorpus } from '../fixtures/hostile/corpus.js';
import { pgpMime, plainMail, textPart } from '../helpers/mails.js';
import { sendCommand } from '../helpers/commands.js';
import { encryptedPayload, startTestVmtd, type Delivered, type TestVmtd } from '../helpers/vmtd.js';
import { caseList } from '../../src/store/case-view.js';

let v: TestVmtd;
const allOut: Delivered[] = [];
t.before(async () => {
  v = await startTestVmtd({ extraConfig: 'policy: { ackPerSenderPerHour: 1000, casesPerSenderPerHour: 1000 }' });
});
t.teardown(() => v.stop());

const lastSpool = () => v.daemon.ctx.db.prepare('SELECT id, state, reason, outcome, case_id AS caseId FROM spool ORDER BY id DESC LIMIT 1').get() as { id: number; state: string; reason: string | null; outcome: string | null; caseId: string | null };

t.test('every corpus case gets its safe outcome', async (t) => {
  const corpus = buildCorpus(v.gpg('rita'), v.daemon.ctx.team.fingerprint);
  t.ok(corpus.length >= 29, `${corpus.length} cases`);
  for (const c of corpus) {
    const r = await v.send(c.raw, { from: c.from ?? 'r@reporter.example', to: c.to ?? ['security@example.org'] });
    t.equal(r.code, c.smtp ?? 250, `${c.name}: SMTP ${c.smtp ?? 250}`);
    await v.settle();
    const row = lastSpool();
    t.not(row.state, 'pending', `${c.name}: processed (${row.state}${row.reason ? `: ${row.reason}` : ''})`);
    t.notMatch(row.reason ?? '', /^internal error/, `${c.name}: bad input, not a crash in a stage`);
    if (c.state) t.equal(row.state, c.state, `${c.name}: ${c.state}`);
    if (c.reason) t.match(row.reason ?? '', c.reason, `${c.name}: the reason says why`);
    const out = v.take();
    allOut.push(...out);
    if (c.name.startsWith('EFAIL')) {
      // Alice's copy of the relay (she may also get an alert about a member without a key).
      const text = out.filter((d) => d.to === 'alice@example.org').map((d) => v.gpg('alice').decrypt(encryptedPayload(d.raw)).stdout.toString()).find((x) => x.includes('[vmtd] Case')) ?? '';
      t.match(text, 'HOSTILE-SECRET-efail-inside', 'the encrypted part is relayed');
      t.notMatch(text, 'CLEAR-EXFIL-MARKER', 'the clear parts are never merged into the decrypted content');
      t.match(text, /unencrypted part\(s\) dropped/, 'the preamble says parts were dropped');
    }
    if (c.name.startsWith('RFC 2047')) t.equal(caseList(v.daemon.ctx.db, v.daemon.ctx.sealer).at(-1)!.members.find((m) => m.role === 'reporter')?.email, 'mallory@evil.example', 'the real address counts, not the display name');
    if (c.name.startsWith('mail from our own address')) {
      t.equal(row.outcome, 'junk');
      t.same(out, [], 'no answer to ourselves');
    }
  }
});

t.test('no header injection and no plaintext of any encrypted case outside encryption', async (t) => {
  for (const d of allOut) {
    const headEnd = d.raw.indexOf('\r\n\r\n');
    const header = d.raw.subarray(0, headEnd).toString('latin1');
    t.notMatch(header, /^(Bcc|Cc):/im, `no injected header in mail to ${d.to}`);
  }
  const secrets = ['HOSTILE-SECRET-armor', 'HOSTILE-SECRET-nomdc', 'HOSTILE-SECRET-efail-inside'];
  const leaks = allOut.filter((d) => secrets.some((s) => d.raw.includes(s)));
  t.same(leaks.map((d) => d.to), [], 'no outgoing mail carries a secret in clear');
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const f of readdirSync(dir)) {
      const p = join(dir, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (secrets.some((s) => readFileSync(p).includes(s))) files.push(p);
    }
  };
  walk(join(v.dir, 'data'));
  t.same(files, [], 'nothing in clear under the data directory');
});

/** Raw SMTP over a socket, to send what no client library would. */
async function rawSmtp(port: number, script: string): Promise<string> {
  const sock = new Socket();
  let got = '';
  sock.on('data', (d: Buffer) => (got += d.toString()));
  await new Promise<void>((ok, fail) => sock.connect(port, '127.0.0.1', ok).once('error', fail));
  const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
  // Wait for the greeting: smtp-server refuses clients that talk first.
  for (let i = 0; i < 100 && !got.includes('220 '); i++) await wait(20);
  for (const chunk of script.split('<PAUSE>')) {
    sock.write(chunk);
    await wait(150);
  }
  sock.destroy();
  return got;
}

t.test('SMTP smuggling: <LF>.<LF> and <CR>.<LF> never end DATA; a smuggled second message is not accepted', async (t) => {
  for (const [name, fake] of [
    ['<LF>.<LF>', '\n.\n'],
    ['<CR>.<LF>', '\r.\n'],
    ['<LF>.<CR><LF>', '\n.\r\n'],
  ] as const) {
    const before = caseList(v.daemon.ctx.db, v.daemon.ctx.sealer).length;
    const spoolBefore = (v.daemon.ctx.db.prepare('SELECT COUNT(*) AS n FROM spool').get() as { n: number }).n;
    const smuggled = `MAIL FROM:<mallory@evil.example>\r\nRCPT TO:<security@example.org>\r\nDATA\r\nFrom: mallory@evil.example\r\nSubject: SMUGGLED\r\n\r\nsmuggled\r\n`;
    const reply = await rawSmtp(
      v.port,
      `EHLO x\r\n<PAUSE>MAIL FROM:<r@reporter.example>\r\n<PAUSE>RCPT TO:<security@example.org>\r\n<PAUSE>DATA\r\n<PAUSE>From: r@reporter.example\r\nSubject: carrier\r\n\r\nfirst${fake}${smuggled}\r\n.\r\n<PAUSE>QUIT\r\n`,
    );
    await v.settle();
    const spooled = (v.daemon.ctx.db.prepare('SELECT COUNT(*) AS n FROM spool').get() as { n: number }).n - spoolBefore;
    t.equal(spooled, 1, `${name}: exactly one message accepted`);
    t.equal((reply.match(/^250 2\.0\.0 queued/gm) ?? []).length, 1, `${name}: one 250 for DATA`);
    const titles = caseList(v.daemon.ctx.db, v.daemon.ctx.sealer).slice(before).map((c) => c.title);
    t.same(titles, ['carrier'], `${name}: the smuggled message never becomes its own case`);
    v.take();
  }
});

t.test("a key attachment that claims another user's address substitutes nothing", async (t) => {
  // Mallory writes as alice@example.org and attaches her own key with alice's address as user ID.
  const forged = v.gpg('mallory');
  forged.run(['--quick-add-uid', 'mallory@evil.example', 'Alice Coordinator <alice@example.org>']);
  const raw = pgpMime(
    { from: 'alice@example.org', to: 'security@example.org', subject: 'key swap', extra: [`Autocrypt: addr=alice@example.org; keydata=${forged.run(['--export', 'mallory@evil.example']).stdout.toString('base64')}`] },
    forged.encrypt(textPart('hello'), [v.daemon.ctx.team.fingerprint], { sign: false }),
  );
  await v.send(raw, { from: 'alice@example.org', to: ['security@example.org'] });
  await v.settle();
  const out = v.take();
  // The next report is relayed to alice encrypted to her configured key, which she can open.
  await v.send(plainMail({ from: 'x@reporter.example', to: 'security@example.org', subject: 'after swap' }, 'x'), { from: 'x@reporter.example', to: ['security@example.org'] });
  await v.settle();
  const toAlice = v.take().find((d) => d.to === 'alice@example.org')!;
  t.equal(v.gpg('alice').decrypt(encryptedPayload(toAlice.raw)).code, 0, "alice's real key still receives her mail");
  t.not(v.gpg('mallory').decrypt(encryptedPayload(toAlice.raw)).code, 0, "the substituted key cannot read alice's mail");
  const id = caseList(v.daemon.ctx.db, v.daemon.ctx.sealer).at(-1)!.id;
  await sendCommand(v, 'mallory', id, `X-CASE: ${id}\nX-STATE: rejected`, { from: 'alice@example.org', mode: 'clearsign' });
  t.equal(caseList(v.daemon.ctx.db, v.daemon.ctx.sealer).at(-1)!.state, 'new', 'a command signed by the substituted key changes nothing');
  t.notOk(out.some((d) => d.to === 'mallory@evil.example'), 'nothing goes to the forger');
});

t.test('after all of it the daemon still turns a good report into a case', async (t) => {
  const before = caseList(v.daemon.ctx.db, v.daemon.ctx.sealer).length;
  const raw = pgpMime({ from: 'rita@reporter.example', to: 'security@example.org', subject: 'still alive' }, v.gpg('rita').encrypt(textPart('fine'), [v.daemon.ctx.team.fingerprint]));
  t.equal((await v.send(raw, { from: 'rita@reporter.example', to: ['security@example.org'] })).code, 250);
  await v.settle();
  t.equal(caseList(v.daemon.ctx.db, v.daemon.ctx.sealer).length, before + 1);
  t.equal((v.daemon.ctx.db.prepare("SELECT COUNT(*) AS n FROM spool WHERE state = 'pending'").get() as { n: number }).n, 0, 'nothing left pending');
});
