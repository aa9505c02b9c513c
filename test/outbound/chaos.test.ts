// kill -9 at random moments while 1,000 reports arrive from 8 senders and the outbox delivers:
// every report that got a 250 becomes a case, every queued relay is delivered, and a duplicate is
// only ever of a message that was in flight (its sender never saw the 250 and sent it again).
import t from 'tap';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import Database from 'better-sqlite3';
import nodemailer from 'nodemailer';
import { childConfig, eventually, exited, freePort, serve } from '../helpers/child.js';
import { plainMail } from '../helpers/mails.js';

// 500 in the suite (a kill every 40-150 acknowledged reports); VMTD_CHAOS_REPORTS=N for a longer run.
const TOTAL = Number(process.env.VMTD_CHAOS_REPORTS ?? 500);

t.test(`kill -9 at random moments during ${TOTAL} reports from 8 senders`, async (t) => {
  const port = await freePort();
  const { dir, file } = childConfig(port, 'policy: { ackPerSenderPerHour: 0, casesPerSenderPerHour: 100000, casesPerHour: 100000 }');
  let daemon: ChildProcess = await serve(file);
  let seed = 7;
  const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  let done = false;
  let kills = 0;
  // Kills are placed in the stream of acknowledgements (after 40-150 more reports, then up to
  // 0.3 s later), not at wall-clock times: a faster daemon or a busier machine still gets killed
  // at random moments during intake, several times.
  const acked = new Set<string>();
  const killer = (async () => {
    let nextAt = 0;
    while (!done) {
      nextAt += 40 + Math.floor(rand() * 110);
      while (!done && acked.size < nextAt) await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, rand() * 300));
      if (done) break;
      daemon.kill('SIGKILL');
      await exited(daemon);
      kills++;
      daemon = await serve(file);
    }
  })();
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (;;) {
        const i = next++;
        if (i >= TOTAL) return;
        const mid = `<chaos-${i}@reporter.example>`;
        const raw = plainMail({ from: `r${i % 50}@reporter.example`, to: 'security@example.org', subject: `chaos ${i}`, messageId: mid }, `report ${i}`);
        // Like an MTA: retry until the message is acknowledged.
        for (;;) {
          const tr = nodemailer.createTransport({ host: '127.0.0.1', port, ignoreTLS: true, connectionTimeout: 2000, greetingTimeout: 2000, socketTimeout: 5000 });
          try {
            await tr.sendMail({ envelope: { from: 'r@reporter.example', to: ['security@example.org'] }, raw });
            acked.add(mid);
            break;
          } catch {
            await new Promise((r) => setTimeout(r, 100));
          } finally {
            tr.close();
          }
        }
      }
    }),
  );
  done = true;
  await killer;
  t.ok(kills >= 2, `${kills} kills during intake`);
  t.equal(acked.size, TOTAL, 'every report was eventually acknowledged');
  const db = new Database(join(dir, 'data', 'vmtd.sqlite'), { readonly: true });
  const count = (sql: string): number => (db.prepare(sql).get() as { n: number }).n;
  await eventually(() => (count("SELECT COUNT(*) AS n FROM spool WHERE state = 'pending'") === 0 && count("SELECT COUNT(*) AS n FROM outbox WHERE state IN ('queued','sending')") === 0 ? true : undefined), 240_000);
  const ids = (db.prepare("SELECT message_id AS mid FROM messages WHERE kind = 'report'").all() as Array<{ mid: string }>).map((r) => r.mid);
  const present = new Set(ids);
  t.equal([...acked].filter((m) => !present.has(m)).length, 0, 'every acknowledged report is a case');
  const dups = ids.length - present.size;
  t.ok(dups <= kills * 8, `duplicates (${dups}) only of messages in flight at a kill (${kills} kills, at most one per sender each)`);
  t.equal(count("SELECT COUNT(*) AS n FROM outbox WHERE state = 'failed'"), 0, 'no delivery failed');
  // Every case's relay reached both coordinators' maildir copies.
  const delivered = readdirSync(join(dir, 'outgoing', 'new')).map((f) => readFileSync(join(dir, 'outgoing', 'new', f), 'latin1'));
  const relayIds = db.prepare("SELECT message_id AS mid FROM outbox WHERE kind = 'relay'").all() as Array<{ mid: string }>;
  const inMaildir = new Set(delivered.map((m) => /^Message-ID: (.*)$/im.exec(m)?.[1]?.trim()));
  t.equal(relayIds.filter((r) => !inMaildir.has(r.mid)).length, 0, `all ${relayIds.length} queued relays delivered`);
  t.equal(relayIds.length, ids.length * 2, 'two relays (one per coordinator) per report');
  db.close();
  daemon.kill('SIGTERM');
  await exited(daemon);
  rmSync(dir, { recursive: true, force: true });
});
