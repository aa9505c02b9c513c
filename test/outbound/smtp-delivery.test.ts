// Outgoing mail through a real SMTP smart host: retried on 4xx, given up on 5xx, bounces via VERP.
import t from 'tap';
import type { Gpg } from '../helpers/gpg.js';
import { pgpMime, textPart } from '../helpers/mails.js';
import { startSmartHost, type SmartHost } from '../helpers/smarthost.js';
import { encryptedPayload, startTestVmtd, type TestVmtd } from '../helpers/vmtd.js';
import { smtpTransport } from '../../src/outbound/smtp.js';
import { OutboxWorker } from '../../src/outbound/worker.js';

let host: SmartHost;
let v: TestVmtd;
let rita: Gpg;
let alice: Gpg;
const start = new Date('2026-11-24T10:00:00Z');

t.before(async () => {
  host = await startSmartHost();
  v = await startTestVmtd({ now: start, extraConfig: '' });
  rita = v.gpg('rita');
  alice = v.gpg('alice');
});
t.teardown(async () => {
  await v.stop();
  await host.close();
});

// The test vmtd writes to a maildir by default; these tests swap in the SMTP transport.
function smtpWorker(): OutboxWorker {
  return new OutboxWorker(v.daemon.ctx, smtpTransport({ host: '127.0.0.1', port: host.port, secure: false }));
}

const outboxRows = () =>
  v.daemon.ctx.db.prepare('SELECT id, rcpt, state, attempts, kind, message_id AS messageId FROM outbox ORDER BY id').all() as Array<{
    id: number;
    rcpt: string;
    state: string;
    attempts: number;
    kind: string;
    messageId: string;
  }>;

async function reportQueued(): Promise<void> {
  // Process the report but deliver nothing yet: the daemon's own (maildir) worker must not run.
  await v.daemon.outbox.stop();
  // Rita offers her key (Autocrypt), so every member has one: one mail per recipient, no alert beside it.
  const autocrypt = `Autocrypt: addr=rita@reporter.example; keydata=${rita.run(['--export', 'rita@reporter.example']).stdout.toString('base64')}`;
  const raw = pgpMime({ from: 'rita@reporter.example', to: 'security@example.org', subject: 'r', extra: [autocrypt] }, rita.encrypt(textPart('details'), [v.daemon.ctx.team.fingerprint], { sign: false }));
  t.equal((await v.send(raw, { from: 'rita@reporter.example', to: ['security@example.org'] })).code, 250);
  await v.daemon.pipeline.drain();
}

t.test('451 then 250: retried after the backoff and delivered exactly once', async (t) => {
  await reportQueued();
  const queued = outboxRows().filter((r) => r.state === 'queued');
  t.ok(queued.length >= 3, 'ack and relays queued');
  let refusals = 0;
  host.answer = (to) => (to.includes('alice@example.org') && refusals++ === 0 ? 451 : 250);
  const worker = smtpWorker();
  await worker.flush();
  const alice1 = outboxRows().find((r) => r.rcpt === 'alice@example.org')!;
  t.equal(alice1.state, 'queued', 'deferred after 451');
  t.equal(alice1.attempts, 1);
  t.equal(host.received.filter((r) => r.to.includes('alice@example.org')).length, 0);
  await worker.flush();
  t.equal(outboxRows().find((r) => r.rcpt === 'alice@example.org')!.state, 'queued', 'not retried before the backoff');
  v.clock.now = new Date(start.getTime() + 3 * 60_000);
  await worker.flush();
  t.equal(outboxRows().find((r) => r.rcpt === 'alice@example.org')!.state, 'sent');
  const got = host.received.filter((r) => r.to.includes('alice@example.org'));
  t.equal(got.length, 1, 'delivered once');
  t.match(got[0]!.from, /^security-bounces\+\d+-[0-9a-v]{16}@example\.org$/, 'VERP envelope sender, with its token');
  t.equal(alice.decrypt(encryptedPayload(got[0]!.raw)).code, 0, 'alice decrypts what the smart host received');
  await worker.stop();
});

t.test('550: the delivery is marked failed and the coordinators are told', async (t) => {
  host.received.length = 0;
  await reportQueued();
  host.answer = (to) => (to.includes('bob@example.org') ? 550 : 250);
  const worker = smtpWorker();
  await worker.flush();
  await worker.flush();
  const bobRows = outboxRows().filter((r) => r.rcpt === 'bob@example.org' && r.kind === 'relay');
  t.equal(bobRows.at(-1)!.state, 'failed');
  const alerts = host.received.filter((r) => r.to.includes('alice@example.org')).map((r) => alice.decrypt(encryptedPayload(r.raw)).stdout.toString());
  t.ok(alerts.some((a) => /delivery failed|could not be delivered/i.test(a) && a.includes('bob@example.org')), 'alice learns that bob got nothing');
  await worker.stop();
});

t.test('past the retry horizon a deferred mail is given up', async (t) => {
  host.received.length = 0;
  await reportQueued();
  host.answer = () => 451;
  const worker = smtpWorker();
  await worker.flush();
  v.clock.now = new Date(v.clock.now.getTime() + 121 * 3600_000);
  await worker.flush();
  const failed = outboxRows().filter((r) => r.state === 'failed' && r.kind === 'relay');
  t.ok(failed.length >= 3, 'relays failed after 5 days');
  await worker.stop();
});
