// "The daemon never dies half-way": one bad row in any queue — a spool row whose sealed bytes are
// damaged, a spool file gone or damaged, an outbox row whose payload row or file is gone, a case
// whose advisory cannot be unsealed — is counted, retried, then quarantined (spool) or failed
// (outbox) with its reason, while good mail goes on being relayed; nothing ends in an unhandled
// rejection.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { iso } from '../../src/clock.js';
import { ARMOR_SLOT } from '../../src/mail/compose.js';
import { runPlanner } from '../../src/jobs/run-planner.js';
import { enqueue } from '../../src/store/outbox.js';
import { spoolSealed } from '../../src/store/spool.js';
import { plainMail } from '../helpers/mails.js';
import { encryptedPayload, startTestVmtd } from '../helpers/vmtd.js';

const rejections: unknown[] = [];
const onRejection = (err: unknown): void => void rejections.push(err);
process.on('unhandledRejection', onRejection);
t.teardown(() => void process.off('unhandledRejection', onRejection));

t.test('a bad row in each queue is set aside with its reason; good mail is still relayed', async (t) => {
  const noon = new Date();
  noon.setUTCHours(12, 0, 0, 0);
  const v = await startTestVmtd({ now: noon });
  t.teardown(() => v.stop());
  const { db, sealer } = v.daemon.ctx;
  const at = iso(v.clock.now);
  const envelope = { mailFrom: 'someone@bad.example', rcptTo: ['security@example.org'], via: 'smtp' as const };
  const report = (subject: string): Buffer => plainMail({ from: 'anon@nokey.example', to: 'security@example.org', subject }, 'the parser overflows');

  // Spool: sealed bytes damaged (GCM refuses them), a spool file gone, a spool file damaged.
  const flipped = sealer.seal(report('damaged seal'));
  flipped[flipped.length - 3]! ^= 0xff;
  const badSeal = spoolSealed(db, { inline: flipped, file: null }, flipped.length, envelope, at);
  const goneFile = spoolSealed(db, { inline: null, file: 'gone.sealed' }, 4096, envelope, at);
  writeFileSync(join(v.dir, 'data', 'spool', 'damaged.sealed'), randomBytes(4096));
  const badFile = spoolSealed(db, { inline: null, file: 'damaged.sealed' }, 4096, envelope, at);

  // Outbox: a relay copy whose payload file is gone, one whose payload row is gone.
  const raw = Buffer.from(`From: security@example.org\r\nTo: alice@example.org\r\nSubject: x\r\n\r\n${ARMOR_SLOT}\r\n`);
  const copy = (messageId: string, stored: { inline: Buffer; file: null } | { inline: null; file: string }): number =>
    enqueue(db, { caseId: null, kind: 'relay', messageId, rcpt: 'alice@example.org', raw, shared: { payload: { stored }, keyPacket: new Uint8Array([1, 2, 3]) } }, at);
  const noPayloadFile = copy('<no-payload-file@example.org>', { inline: null, file: 'gone.pgp' });
  const noPayloadRow = copy('<no-payload-row@example.org>', { inline: Buffer.from('data'), file: null });
  db.pragma('foreign_keys = OFF');
  db.prepare('UPDATE outbox SET payload_id = 999999 WHERE id = ?').run(noPayloadRow);
  db.pragma('foreign_keys = ON');

  // Scheduler: a scheduled case past its embargo whose approved advisory cannot be unsealed.
  db.prepare("INSERT INTO cases (id, state, created_at, updated_at, embargo) VALUES ('SEC-2020-0099', 'scheduled', ?, ?, ?)").run(at, at, iso(new Date(noon.getTime() - 3_600_000)));
  db.prepare("INSERT INTO advisories (case_id, revision, state, yaml_sealed, created_at, approved_at) VALUES ('SEC-2020-0099', 1, 'approved', ?, ?, ?)").run(randomBytes(64), at, at);

  // A good report arrives behind the bad rows and is relayed to both coordinators.
  t.equal((await v.send(report('good report'), { from: 'anon@nokey.example', to: ['security@example.org'] })).code, 250);
  await v.settle();
  // Coordinators get the relay (and, the reporter having no key, an alert saying so): one set of recipients.
  const relayed = (): string[] => [...new Set(v.take().filter((d) => /encrypted message/.test(d.subject)).map((d) => d.to))].sort();
  t.same(relayed(), ['alice@example.org', 'bob@example.org'], 'the good report is relayed past the bad rows');

  // Each bad spool row is tried once per pass and quarantined after three, with the reason.
  for (let i = 0; i < 10 && (db.prepare("SELECT COUNT(*) AS n FROM spool WHERE state = 'pending'").get() as { n: number }).n > 0; i++) await v.settle();
  const spool = (id: number) => db.prepare('SELECT state, attempts, reason FROM spool WHERE id = ?').get(id) as { state: string; attempts: number; reason: string };
  t.match(spool(badSeal), { state: 'quarantined', attempts: 3, reason: /^unreadable spool row after 3 attempts: .*authenticate/ }, 'damaged seal: quarantined with its reason');
  t.match(spool(goneFile), { state: 'quarantined', reason: /^unreadable spool row after 3 attempts: ENOENT/ }, 'missing spool file: quarantined with its reason');
  t.match(spool(badFile), { state: 'quarantined', reason: /^unreadable spool row after 3 attempts: / }, 'damaged spool file: quarantined with its reason');

  // The planner: the poisoned case fails its action, the digest still goes out, and counts the quarantine.
  const summary = await runPlanner(v.daemon.ctx, { digest: true });
  t.same(summary.failed, ['publish:SEC-2020-0099'], 'the bad case fails alone');
  t.ok(summary.sent.some((k) => k.startsWith('digest:alice@example.org')), 'the digest is still sent');
  await v.daemon.outbox.flush();
  const digest = v.take().find((d) => d.to === 'alice@example.org' && /vmtd digest/.test(d.subject));
  t.ok(digest, 'alice gets her digest');
  const text = v.gpg('alice').decrypt(encryptedPayload(digest!.raw)).stdout.toString();
  t.match(text, /Quarantined in the last day: 3 message\(s\), by reason:/);
  t.match(text, /- 1 × unreadable spool row after 3 attempts: ENOENT/);
  t.match(text, /vmtd spool list --quarantined/);

  // Outbox: a local fault is retried with backoff, then given up as failed with the error.
  for (let i = 0; i < 8; i++) {
    v.clock.now = new Date(v.clock.now.getTime() + 2 * 3_600_000);
    await v.daemon.outbox.flush();
  }
  const outbox = (id: number) => db.prepare('SELECT state, attempts, last_error AS lastError FROM outbox WHERE id = ?').get(id) as { state: string; attempts: number; lastError: string };
  t.match(outbox(noPayloadFile), { state: 'failed', attempts: 5, lastError: /^local: ENOENT/ }, 'payload file gone: failed with the error');
  t.match(outbox(noPayloadRow), { state: 'failed', attempts: 5, lastError: /^local: payload #\d+ is missing/ }, 'payload row gone: failed with the error');

  // And the daemon still takes and relays mail.
  t.equal((await v.send(report('after all that'), { from: 'anon@nokey.example', to: ['security@example.org'] })).code, 250);
  await v.settle();
  t.same(relayed(), ['alice@example.org', 'bob@example.org'], 'a later report is relayed too');
  t.same(rejections, [], 'no unhandled rejection');
});

t.test('a SerialRunner whose job throws logs it and keeps running', async (t) => {
  const { SerialRunner } = await import('../../src/serial.js');
  const errors: unknown[] = [];
  let runs = 0;
  const r = new SerialRunner(
    async () => {
      runs++;
      throw new Error(`boom ${runs}`);
    },
    (err) => errors.push(err),
  );
  r.kick();
  r.kick();
  await r.settle();
  await r.settle();
  t.equal(runs, 3, 'every kick ran');
  t.same(errors.map((e) => (e as Error).message), ['boom 1', 'boom 2', 'boom 3'], 'each failure handed to the owner');
  await new Promise((ok) => setImmediate(ok));
  t.same(rejections, [], 'no unhandled rejection');
});
