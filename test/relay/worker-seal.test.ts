// Relays sealed in the crypto pool's worker thread (issue 16): GnuPG decrypts and verifies every
// copy, each opens only for its member, the messages of one case are relayed in the order they
// came, and a pool that cannot seal (closed) costs nothing but the thread the work runs on.
import t from 'tap';
import * as openpgp from 'openpgp';
import { pgpMime, textPart, withAttachment } from '../helpers/mails.js';
import { iso } from '../../src/clock.js';
import { spoolMessage } from '../../src/store/spool.js';
import { pubKey, type Gpg, type Person } from '../helpers/gpg.js';
import { encryptedPayload, startTestVmtd, type TestVmtd } from '../helpers/vmtd.js';
import { caseList } from '../../src/store/case-view.js';
import { CryptoPool } from '../../src/pgp/crypto-pool.js';
import { sealRelay, type SealedRelay } from '../../src/pgp/seal-relay.js';
import { armorCopy } from '../../src/pgp/encode.js';

let v: TestVmtd;
const g = (p: Person): Gpg => v.gpg(p);
const team = (): string => v.daemon.ctx.team.fingerprint;
let sealedInWorker = 0;

t.before(async () => {
  v = await startTestVmtd();
  const pool = v.daemon.ctx.crypto;
  if (!pool) throw new Error('the daemon has no crypto pool');
  const seal = pool.seal.bind(pool);
  pool.seal = async (...args) => {
    const r = await seal(...args);
    sealedInWorker++;
    return r;
  };
});
t.teardown(() => v.stop());

t.test('a report and five follow-ups sent at once: every copy sealed in the worker, decrypted and verified by gpg, in order per case', async (t) => {
  const report = pgpMime({ from: 'rita@reporter.example', to: 'security@example.org', subject: 'overflow', messageId: '<w0@reporter.example>' }, g('rita').encrypt(textPart('Project: libfoo\n\nfollow-up 0'), [team()]));
  t.equal((await v.send(report, { from: 'rita@reporter.example', to: ['security@example.org'] })).code, 250);
  await v.settle();
  const id = caseList(v.daemon.ctx.db, v.daemon.ctx.sealer)[0]!.id;
  const caseAddr = `security+${id.toLowerCase()}@example.org`;
  // Sent without waiting in between: decoded ahead and sealed while the pipeline works through them.
  const codes = [];
  for (let n = 1; n <= 5; n++) {
    const raw = pgpMime({ from: 'rita@reporter.example', to: caseAddr, subject: 'Re: overflow', inReplyTo: '<w0@reporter.example>' }, g('rita').encrypt(textPart(`follow-up ${n}`), [team()]));
    codes.push((await v.send(raw, { from: 'rita@reporter.example', to: [caseAddr] })).code);
  }
  t.same(codes, [250, 250, 250, 250, 250]);
  await v.settle();
  t.equal(sealedInWorker, 6, 'each relay was sealed by the worker pool');

  // The relays of one case leave in the order their messages came (spool order).
  const rows = v.daemon.ctx.db
    .prepare("SELECT o.rcpt AS rcpt, o.message_id AS mid, m.spool_id AS spool FROM outbox o JOIN messages m ON m.id = o.source_message WHERE o.kind = 'relay' AND o.case_id = ? ORDER BY o.id")
    .all(id) as Array<{ rcpt: string; mid: string; spool: number }>;
  const toAlice = rows.filter((r) => r.rcpt === 'alice@example.org');
  t.equal(toAlice.length, 6, 'alice got the report and the five follow-ups');
  t.same(toAlice.map((r) => r.spool), [...toAlice.map((r) => r.spool)].sort((a, b) => a - b), 'queued in spool order');

  const copies = v.take().filter((d) => d.to === 'alice@example.org');
  const texts: string[] = [];
  for (const row of toAlice) {
    const copy = copies.find((d) => d.headers.some(([k, val]) => k.toLowerCase() === 'message-id' && val.includes(row.mid.replace(/[<>]/g, ''))));
    if (!copy) {
      t.fail(`alice's copy ${row.mid} was not delivered`);
      continue;
    }
    const dec = g('alice').decrypt(encryptedPayload(copy.raw));
    t.equal(dec.code, 0, 'alice decrypts it');
    t.match(dec.status, `VALIDSIG ${team()}`, 'signed by the team key');
    texts.push(/follow-up (\d)/.exec(dec.stdout.toString())?.[1] ?? '?');
    t.not(g('bob').decrypt(encryptedPayload(copy.raw)).code, 0, "bob cannot open alice's copy");
  }
  t.same(texts, ['0', '1', '2', '3', '4', '5'], 'each copy carries its own message, in the order sent');
});

/** The armored message a member gets for a sealed relay (what the outbox assembles at delivery). */
async function copyFor(sealed: SealedRelay, n: number): Promise<string> {
  return Buffer.concat(await armorCopy(sealed.keyPackets[n]!, sealed.encryptedData)).toString();
}

t.test('the same relay sealed by the pool, by a closed pool (falls back to this thread) and without a pool: all open and verify in gpg', async (t) => {
  const keys = await Promise.all((['alice', 'maint'] as const).map((p) => openpgp.readKey({ armoredKey: pubKey(p) })));
  const ctx = v.daemon.ctx;
  const closed = new CryptoPool(ctx.team.privateKey, ctx.keyring, 1);
  await closed.close();
  const open = new CryptoPool(ctx.team.privateKey, ctx.keyring, 1);
  t.teardown(() => open.close());
  for (const [label, sealer] of [['pool', open], ['closed pool', closed], ['no pool', undefined]] as const) {
    const data = Buffer.from(`Content-Type: text/plain\r\n\r\nsealed by ${label}\r\n`);
    const sealed = await sealRelay(data, ctx.team, keys, new Date(), sealer);
    t.equal(sealed.keyPackets.length, 2, `${label}: one key packet per recipient`);
    for (const [n, who] of [[0, 'alice'], [1, 'maint']] as const) {
      const dec = g(who).decrypt(await copyFor(sealed, n));
      t.equal(dec.code, 0, `${label}: ${who} decrypts`);
      t.match(dec.status, `VALIDSIG ${team()}`, `${label}: the team's signature verifies`);
      t.match(dec.stdout.toString(), `sealed by ${label}`);
    }
    t.not(g('bob').decrypt(await copyFor(sealed, 0)).code, 0, `${label}: nobody else opens it`);
  }
});

t.test('a report read ahead (decoded and parsed in the worker): its attached key is learned, its Project line routes it, the ack is encrypted to the reporter', async (t) => {
  const ctx = v.daemon.ctx;
  const before = caseList(ctx.db, ctx.sealer).length;
  const ahead = v.daemon.pipeline.decodedAhead;
  const first = pgpMime({ from: 'rita@reporter.example', to: 'security@example.org', subject: 'first', messageId: '<ahead-1@reporter.example>' }, g('rita').encrypt(textPart('no project named here'), [team()]));
  const inner = withAttachment('Project: libfoo\n\nread ahead', 'rita.asc', 'application/pgp-keys', Buffer.from(pubKey('rita')));
  const second = pgpMime({ from: 'Rita Reporter <rita@reporter.example>', to: 'security@example.org', subject: 'second', messageId: '<ahead-2@reporter.example>' }, g('rita').encrypt(inner, [team()]));
  // Spooled together (as a burst would be): the second is read and parsed ahead while the first is applied.
  for (const raw of [first, second]) spoolMessage(ctx.db, ctx.sealer, raw, { mailFrom: 'rita@reporter.example', rcptTo: ['security@example.org'], via: 'ingest' }, iso(new Date()));
  v.take();
  await v.settle();
  t.ok(v.daemon.pipeline.decodedAhead > ahead, 'the second was decoded ahead in the worker');
  const opened = caseList(ctx.db, ctx.sealer).slice(before);
  t.equal(opened.length, 2, 'two cases opened');
  const c = opened.find((x) => x.projects.length > 0);
  t.same(c?.projects, [{ id: 'libfoo', status: 'unknown' }], 'the Project line of the parsed content routed it');
  t.equal(c?.members.find((m) => m.role === 'reporter')?.fingerprint, g('rita').fingerprint('rita@reporter.example'), "the attached key was learned from the parsed attachment");
  const acks = v.take().filter((d) => d.to === 'rita@reporter.example' && d.headers.some(([k, val]) => k.toLowerCase() === 'content-type' && val.includes('multipart/encrypted')));
  t.equal(acks.length, 1, 'one encrypted ack (to the key the second report carried)');
  const dec = g('rita').decrypt(encryptedPayload(acks[0]!.raw));
  t.equal(dec.code, 0, 'rita decrypts it');
  t.match(dec.stdout.toString(), c?.id ?? '?', 'it names her case');
});
