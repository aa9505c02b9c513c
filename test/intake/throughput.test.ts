// Issue 16, the throughput work must not change what anyone receives: the pipeline decodes the
// next small messages in a worker thread while it handles the current one (a signature is judged
// against the keyring as it is when the message's turn comes, also when the message before taught
// or removed the key); messages ending together share one spool commit; key packets for a large
// case are made a group per event-loop turn.
import t from 'tap';
import fc from 'fast-check';
import * as openpgp from 'openpgp';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { iso } from '../../src/clock.js';
import { decodeMessage } from '../../src/pgp/decode.js';
import { CryptoPool as DecodePool, stillHolds } from '../../src/pgp/crypto-pool.js';
import { spoolMessage } from '../../src/store/spool.js';
import { caseList } from '../../src/store/case-view.js';
import { readAs } from '../helpers/commands.js';
import { emailOf, pubKey } from '../helpers/gpg.js';
import { pgpMime, textPart, withAttachment } from '../helpers/mails.js';
import { encryptedPayload, startTestVmtd } from '../helpers/vmtd.js';

// A project with more contacts than the relay makes key packets for in one event-loop turn.
const keyDir = mkdtempSync(join(tmpdir(), 'vmtd-many-'));
t.teardown(() => rmSync(keyDir, { recursive: true, force: true }));
const many = await Promise.all(
  Array.from({ length: 20 }, async (_, n) => {
    const email = `c${n}@many.example`;
    const k = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ email }], format: 'object', date: new Date(Date.now() - 60_000) });
    writeFileSync(join(keyDir, `${n}.asc`), k.publicKey.armor());
    return { email, privateKey: k.privateKey };
  }),
);
const manyProject = `  - id: many\n    name: many\n    contacts:\n${many.map((c, n) => `      - { name: C${n}, email: ${c.email}, key: ${join(keyDir, `${n}.asc`)} }`).join('\n')}\n`;
const v = await startTestVmtd({ extraConfig: 'policy: { casesPerSenderPerHour: 1000 }', moreProjects: manyProject });
t.teardown(() => v.stop());
const team = (): string => v.daemon.ctx.team.fingerprint;
const { db, sealer, keyring } = v.daemon.ctx;

/** Spools messages in one go (no turn of the event loop between them), then lets the pipeline run. */
async function spoolTogether(mails: Array<{ raw: Buffer; from: string }>): Promise<void> {
  for (const m of mails) spoolMessage(db, sealer, m.raw, { mailFrom: m.from, rcptTo: ['security@example.org'], via: 'smtp' }, iso(v.clock.now));
  v.daemon.pipeline.kick();
  await v.settle();
}

t.test("a key learned from the message before counts for the signature of the message read ahead", async (t) => {
  const ronFp = v.gpg('ron').fingerprint(emailOf.ron);
  t.notOk(keyring.byFingerprint(ronFp), 'vmtd does not know ron yet');
  const withKey = pgpMime({ from: emailOf.ron, to: 'security@example.org', subject: 'ron brings his key' }, v.gpg('ron').encrypt(withAttachment('first, my key', 'ron.asc', 'application/pgp-keys', Buffer.from(pubKey('ron'))), [team()], { sign: false }));
  const signed = pgpMime({ from: emailOf.ron, to: 'security@example.org', subject: 'ron signs DECODE-AHEAD-2' }, v.gpg('ron').encrypt(textPart('DECODE-AHEAD-2 signed by the key sent before'), [team()], { sign: true }));
  const used = v.daemon.pipeline.decodedAhead;
  await spoolTogether([{ raw: withKey, from: emailOf.ron }, { raw: signed, from: emailOf.ron }]);
  const relay = v.take().find((d) => d.to === 'alice@example.org' && readAs(v, 'alice', d).includes('DECODE-AHEAD-2'));
  t.ok(relay, 'the second report is relayed to the coordinator');
  t.match(readAs(v, 'alice', relay!), `good signature by ${ronFp}`, 'judged with the key the first message taught');
  t.equal(v.daemon.pipeline.decodedAhead, used, 'the decode made ahead (before the key was known) was not used');
});

t.test('unsigned reports read ahead are relayed as decoding in turn relays them', async (t) => {
  const used = v.daemon.pipeline.decodedAhead;
  const mails = [1, 2, 3, 4].map((n) => ({ raw: pgpMime({ from: emailOf.rita, to: 'security@example.org', subject: `batch ${n}` }, v.gpg('rita').encrypt(textPart(`BATCH-${n} details`), [team()], { sign: false })), from: emailOf.rita }));
  const before = caseList(db, sealer).length;
  await spoolTogether(mails);
  t.equal(caseList(db, sealer).length, before + 4, 'four cases');
  const relays = v.take().filter((d) => d.to === 'alice@example.org');
  for (const n of [1, 2, 3, 4]) t.ok(relays.some((d) => readAs(v, 'alice', d).includes(`BATCH-${n} details`)), `report ${n} relayed, readable`);
  t.ok(v.daemon.pipeline.decodedAhead >= used + 3, `decodes made ahead were used (${v.daemon.pipeline.decodedAhead - used})`);
});

t.test('the pool gives what decodeMessage gives, and follows the keyring (stored, removed keys)', async (t) => {
  const signer = await openpgp.generateKey({ type: 'ecc', curve: 'ed25519Legacy', userIDs: [{ email: 'sig@pool.example' }], format: 'object' });
  v.clock.now = new Date(Date.now() + 5_000); // the daemon's clock stood still since it started; the key is newer
  const pool = new DecodePool(v.daemon.ctx.team.privateKey, keyring, 1);
  t.teardown(() => pool.close());
  const mail = async (text: string, sign: boolean): Promise<Buffer> => {
    const message = await openpgp.createMessage({ binary: Buffer.from(`Content-Type: text/plain; charset=utf-8\r\n\r\n${text}`) });
    const armored = await openpgp.encrypt({ message, encryptionKeys: v.daemon.ctx.team.publicKey, ...(sign ? { signingKeys: signer.privateKey } : {}) });
    v.clock.now = new Date(Date.now() + 5_000); // judged after it was signed
    return pgpMime({ from: 'sig@pool.example', to: 'security@example.org', subject: 'pool' }, armored);
  };
  const now = (): Date => v.clock.now;
  const judge = (raw: Buffer) => pool.decode(raw, now(), now());
  const inline = (raw: Buffer) => decodeMessage(raw, { decryption: [v.daemon.ctx.team.privateKey], verification: keyring.all(), date: now() });

  await fc.assert(
    fc.asyncProperty(fc.string({ maxLength: 300 }), fc.boolean(), async (text, sign) => {
      const raw = await mail(text, sign);
      const [a, b] = [await judge(raw), await inline(raw)];
      t.strictSame(a.result, b, 'same result');
      return true;
    }),
    { numRuns: 8 },
  );
  const raw = await mail('signed by a key learned later', true);
  const early = await judge(raw);
  t.match(early.result, { ok: true, decoded: { signature: { state: 'unknown-key' } } });
  t.ok(stillHolds(early, keyring, now()), 'holds while the keyring is unchanged');
  await keyring.add([signer.publicKey], 'import', iso(now()));
  t.notOk(stillHolds(early, keyring, now()), 'no longer holds once the signer key is known');
  const later = await judge(raw);
  t.strictSame(later.result, await inline(raw), 'as decoding in turn gives');
  t.match(later.result, { ok: true, decoded: { signature: { state: 'good' } } }, 'the worker follows the stored key');
  const unsigned = await judge(await mail('no signature', false));
  await keyring.add([(await openpgp.generateKey({ userIDs: [{ email: 'x@pool.example' }], format: 'object' })).publicKey], 'import', iso(now()));
  t.ok(stillHolds(unsigned, keyring, now()), 'an unsigned message does not depend on the keyring');
  t.ok(stillHolds(later, keyring, now()), 'another key changing leaves a good signature standing');
  t.notOk(stillHolds(later, keyring, new Date(now().getTime() + 120_000)), 'too old: decoded again');
  keyring.remove(signer.publicKey.getFingerprint().toUpperCase());
  t.notOk(stillHolds(later, keyring, now()), 'the signer key removed: judged again');
  t.match((await judge(raw)).result, { ok: true, decoded: { signature: { state: 'unknown-key' } } }, 'the worker follows the removal');
});

t.test('messages whose DATA ends together are committed together: each its own 250 and spool row, all relayed', async (t) => {
  const before = (db.prepare('SELECT COUNT(*) AS n FROM spool').get() as { n: number }).n;
  const mails = Array.from({ length: 12 }, (_, n) => pgpMime({ from: emailOf.rita, to: 'security@example.org', subject: `together ${n}` }, v.gpg('rita').encrypt(textPart(`TOGETHER-${n}`), [team()], { sign: false })));
  const replies = await Promise.all(mails.map((raw) => v.send(raw, { from: emailOf.rita, to: ['security@example.org'] })));
  t.same(replies.map((r) => r.code), mails.map(() => 250), 'every one accepted');
  const ids = replies.map((r) => Number(/queued as (\d+)/.exec(r.response)?.[1]));
  t.equal(new Set(ids).size, 12, 'twelve different spool IDs');
  t.equal((db.prepare('SELECT COUNT(*) AS n FROM spool').get() as { n: number }).n, before + 12, 'twelve rows');
  await v.settle();
  const relays = v.take().filter((d) => d.to === 'alice@example.org').map((d) => readAs(v, 'alice', d));
  for (let n = 0; n < 12; n++) t.ok(relays.some((r) => r.includes(`TOGETHER-${n}`)), `report ${n} relayed`);
});

t.test('a relay to more members than one turn of key packets: each copy opens with its own member key', async (t) => {
  const raw = pgpMime({ from: emailOf.rita, to: 'security@example.org', subject: 'for many' }, v.gpg('rita').encrypt(textPart('Project: many\n\nMANY-MEMBERS report'), [team()], { sign: false }));
  t.equal((await v.send(raw, { from: emailOf.rita, to: ['security@example.org'] })).code, 250);
  await v.settle();
  const out = v.take();
  for (const c of many) {
    const copy = out.find((d) => d.to === c.email);
    t.ok(copy, `${c.email} got a copy`);
    if (!copy) continue;
    const message = await openpgp.readMessage({ armoredMessage: encryptedPayload(copy.raw) });
    const { data } = await openpgp.decrypt({ message, decryptionKeys: c.privateKey, format: 'binary' });
    t.match(Buffer.from(data as Uint8Array).toString(), 'MANY-MEMBERS report', `${c.email} decrypts it with their own key`);
  }
});
