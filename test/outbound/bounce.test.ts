// DSNs that come back to the VERP address mark that one delivery failed; delays and auto-replies do not.
import t from 'tap';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { dsn, pgpMime, textPart } from '../helpers/mails.js';
import { encryptedPayload, startTestVmtd, type TestVmtd } from '../helpers/vmtd.js';
import { bounceKind } from '../../src/outbound/bounce-kind.js';

const corpus = resolve(import.meta.dirname, '../../../shared/interop/schleuder/mails');

t.test('the real bounces of many MTAs are recognised; auto-replies are not bounces', (t) => {
  if (!existsSync(corpus)) {
    t.skip(`interop corpus not found at ${corpus}`, () => {});
    return t.end();
  }
  const bounces = readdirSync(join(corpus, 'bounces'));
  t.ok(bounces.length >= 30);
  for (const f of bounces) t.match(bounceKind(readFileSync(join(corpus, 'bounces', f))), /^(failed|delayed)$/, f);
  t.equal(bounces.filter((f) => bounceKind(readFileSync(join(corpus, 'bounces', f))) === 'delayed').length, 3, 'three are delay notices');
  for (const f of readdirSync(join(corpus, 'not_bounces'))) t.equal(bounceKind(readFileSync(join(corpus, 'not_bounces', f))), 'not-a-bounce', f);
  t.equal(bounceKind(dsn('failed', 'x@y')), 'failed');
  t.equal(bounceKind(dsn('delayed', 'x@y')), 'delayed');
  t.end();
});

t.test('a DSN to the VERP address marks that delivery failed and tells the coordinators; nothing answers the bounce', async (t) => {
  const v: TestVmtd = await startTestVmtd();
  const rita = v.gpg('rita');
  const alice = v.gpg('alice');
  t.teardown(() => v.stop());
  const raw = pgpMime({ from: 'rita@reporter.example', to: 'security@example.org', subject: 'r' }, rita.encrypt(textPart('x'), [v.daemon.ctx.team.fingerprint], { sign: false }));
  await v.send(raw, { from: 'rita@reporter.example', to: ['security@example.org'] });
  await v.settle();
  // Bob's copy of the relay (not the alert he also got: a failed alert alerts nobody, no loops).
  const kindOf = (outboxId: number) => (v.daemon.ctx.db.prepare('SELECT kind FROM outbox WHERE id = ?').get(outboxId) as { kind: string }).kind;
  const verpOf = (d: { returnPath: string }) => /<(security-bounces\+\d+-[0-9a-v]+@example\.org)>/.exec(d.returnPath)![1]!;
  const toBob = v.take().find((d) => d.to === 'bob@example.org' && kindOf(Number(/\+(\d+)-/.exec(verpOf(d))![1])) === 'relay')!;
  const verp = verpOf(toBob);
  const id = Number(/\+(\d+)-/.exec(verp)![1]);
  const state = () => (v.daemon.ctx.db.prepare('SELECT state FROM outbox WHERE id = ?').get(id) as { state: string }).state;

  t.equal((await v.send(dsn('delayed', 'bob@example.org'), { from: '', to: [verp] })).code, 250);
  await v.settle();
  t.equal(state(), 'sent', 'a delay notice changes nothing');

  if (existsSync(corpus)) {
    // A real MTA's DSN, but for another recipient: it says nothing about this delivery.
    t.equal((await v.send(readFileSync(join(corpus, 'bounces', 'tt_bounce_01.txt.eml')), { from: '', to: [verp] })).code, 250);
    await v.settle();
    t.equal(state(), 'sent', 'a DSN whose failed recipient is someone else changes nothing');
    t.same(v.take(), [], 'and alerts nobody');
  }
  t.equal((await v.send(dsn('failed', 'bob@example.org'), { from: '', to: [verp] })).code, 250);
  await v.settle();
  t.equal(state(), 'failed', 'the bounce marks the delivery failed');
  const out = v.take();
  t.same(out.map((d) => d.to).sort(), ['alice@example.org', 'bob@example.org'], 'only the coordinators are told; nothing goes back to the bouncing MTA');
  const text = alice.decrypt(encryptedPayload(out.find((d) => d.to === 'alice@example.org')!.raw)).stdout.toString();
  t.match(text, 'bob@example.org');
  t.match(text, /could not be delivered/);
});
