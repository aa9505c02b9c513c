// kill -9 while the outbox holds mail in flight: after restart everything is delivered, once.
import t from 'tap';
import { createServer, type Socket } from 'node:net';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import nodemailer from 'nodemailer';
import { childConfig, eventually, exited, freePort, serve } from '../helpers/child.js';
import { plainMail } from '../helpers/mails.js';
import { startSmartHost } from '../helpers/smarthost.js';

t.test('queued and in-flight mail survives kill -9 and is delivered after restart with the same Message-IDs', async (t) => {
  const smtpPort = await freePort();
  const hostPort = await freePort();
  const { dir, file } = childConfig(smtpPort);
  // Deliver through the smart host instead of the test maildir.
  writeFileSync(file, readFileSync(file, 'utf8').replace(/^delivery: .*$/m, `delivery: { transport: smtp, smtp: { host: 127.0.0.1, port: ${hostPort} } }`));

  // A smart host that accepts connections and never answers: deliveries hang in flight.
  const sockets: Socket[] = [];
  const hanging = createServer((s) => sockets.push(s));
  await new Promise<void>((ok) => hanging.listen(hostPort, '127.0.0.1', ok));

  const first = await serve(file);
  const client = nodemailer.createTransport({ host: '127.0.0.1', port: smtpPort, secure: false, ignoreTLS: true });
  for (let i = 0; i < 3; i++) {
    await client.sendMail({ envelope: { from: 'anon@nokey.example', to: ['security@example.org'] }, raw: plainMail({ from: 'anon@nokey.example', to: 'security@example.org', subject: `r${i}` }, 'body') });
  }
  client.close();
  const db = new Database(join(dir, 'data', 'vmtd.sqlite'), { readonly: true });
  const rows = () => db.prepare('SELECT id, state, message_id AS mid FROM outbox ORDER BY id').all() as Array<{ id: number; state: string; mid: string }>;
  await eventually(() => (rows().length >= 9 && rows().some((r) => r.state === 'sending') ? true : undefined));
  const before = rows();
  t.ok(before.length >= 9, `${before.length} mails queued (3 acks, 6 relays)`);
  first.kill('SIGKILL');
  await exited(first);
  sockets.forEach((s) => s.destroy());
  await new Promise<void>((ok) => hanging.close(() => ok()));

  const host = await startSmartHost(hostPort);
  const second = await serve(file);
  await eventually(() => (rows().every((r) => r.state === 'sent') ? true : undefined), 20_000);
  const ids = host.received.map((m) => /^Message-ID: (.*)$/im.exec(m.raw.toString())![1]!.trim());
  t.same([...ids].sort(), before.map((r) => r.mid).sort(), 'every queued mail delivered, each exactly once, same Message-ID');
  second.kill('SIGTERM');
  t.equal(await exited(second), 0);
  db.close();
  await host.close();
  rmSync(dir, { recursive: true, force: true });
});
