// `npm run bench`: the figures the issues ask for, measured on this machine. Timing never
// decides a test; it is printed here. VMTD_BENCH_QUICK=1 for a short smoke run.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import nodemailer from 'nodemailer';
import * as openpgp from 'openpgp';
import { parseConfig } from '../src/config/load.js';
import { startDaemon, type Daemon } from '../src/daemon.js';
import { createLogger } from '../src/log.js';
import { ARMOR_SLOT, attachmentEntity, composeEncrypted, innerEntity, textEntity } from '../src/mail/compose.js';
import { armorCopy, encryptOnce, keyPacketFor, signOnce } from '../src/pgp/encode.js';
import { runPlanner } from '../src/scheduler/run.js';

const quick = process.env.VMTD_BENCH_QUICK === '1';
const results: Record<string, unknown> = {};
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))] ?? NaN;
const line = (label: string, value: string): void => console.log(`${label.padEnd(58)} ${value}`);

interface Setup {
  dir: string;
  daemon: Daemon;
  teamKey: openpgp.PublicKey;
}

async function setup(members: number, maxBacklog = 2000): Promise<Setup> {
  const dir = mkdtempSync(join(tmpdir(), 'vmtd-bench-'));
  const contacts: string[] = [];
  for (let i = 0; i < members; i++) {
    const { publicKey } = await openpgp.generateKey({ type: 'ecc', userIDs: [{ email: `m${i}@example.org` }], format: 'object' });
    writeFileSync(join(dir, `m${i}.asc`), publicKey.armor());
    contacts.push(`  - { name: M${i}, email: m${i}@example.org, key: m${i}.asc }`);
  }
  const file = join(dir, 'vmtd.yaml');
  writeFileSync(
    file,
    `instance: { domain: example.org, dataDir: ${dir}/data }\nsmtp: { port: 0, maxBacklog: ${maxBacklog} }\ndelivery: { transport: maildir, maildir: ${dir}/out }\nlog: { level: silent }\npolicy: { ackPerSenderPerHour: 1000000 }\n` +
      (members > 0 ? `coordinators:\n${contacts.join('\n')}\n` : ''),
  );
  const config = parseConfig(readFileSync(file, 'utf8'), file);
  const daemon = await startDaemon(config, () => new Date(), createLogger('silent'));
  return { dir, daemon, teamKey: daemon.ctx.team.publicKey };
}

async function teardown(s: Setup): Promise<void> {
  await s.daemon.stop();
  rmSync(s.dir, { recursive: true, force: true });
}

/** A 10 KB PGP/MIME report encrypted to the team key (made once, varied in its headers). */
async function reportMaker(teamKey: openpgp.PublicKey, size = 10 * 1024): Promise<(i: number) => Buffer> {
  const armored = await openpgp.encrypt({ message: await openpgp.createMessage({ text: `Content-Type: text/plain\r\n\r\n${'x'.repeat(size)}` }), encryptionKeys: teamKey });
  const body = armored.replace(/\r?\n/g, '\r\n');
  return (i) =>
    Buffer.from(
      `From: r${i}@reporter.example\r\nTo: security@example.org\r\nSubject: report ${i}\r\nMessage-ID: <bench-${i}-${Date.now()}@reporter.example>\r\nMIME-Version: 1.0\r\n` +
        `Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="b"\r\n\r\n--b\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n\r\n--b\r\nContent-Type: application/octet-stream\r\n\r\n${body}\r\n--b--\r\n`,
    );
}

/** Sends from `senders` concurrent SMTP connections for `ms`; returns per-message accept times. */
async function load(port: number, make: (i: number) => Buffer, senders: number, ms: number): Promise<{ accepted: number[]; deferred: number; seconds: number }> {
  const accepted: number[] = [];
  let deferred = 0;
  let n = 0;
  const t0 = Date.now();
  await Promise.all(
    Array.from({ length: senders }, async () => {
      const tr = nodemailer.createTransport({ host: '127.0.0.1', port, ignoreTLS: true, pool: true, maxConnections: 1, maxMessages: Infinity });
      while (Date.now() - t0 < ms) {
        try {
          await tr.sendMail({ envelope: { from: 'r@reporter.example', to: ['security@example.org'] }, raw: make(n++) });
          accepted.push(Date.now());
        } catch {
          // 451 backpressure: a real MTA queues and retries later; here, after a short pause.
          deferred++;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
      tr.close();
    }),
  );
  return { accepted, deferred, seconds: (Date.now() - t0) / 1000 };
}

async function intake(): Promise<void> {
  console.log('\n# Intake (issue 2): 8 concurrent SMTP senders, 10 KB PGP/MIME reports, durable spool');
  // Acceptance alone: backpressure (smtp.maxBacklog) is lifted so the spool commit is what is measured.
  const s = await setup(0, 1_000_000);
  const make = await reportMaker(s.teamKey);
  const seconds = quick ? 3 : 10;
  await s.daemon.pipeline.stop(); // acceptance alone: the spool commit before 250
  const a = await load(s.daemon.smtp.port, make, 8, seconds * 1000);
  line('accepted, spool only (reports/s)', (a.accepted.length / a.seconds).toFixed(0));
  await teardown(s);

  const s2 = await setup(0, 1_000_000);
  const make2 = await reportMaker(s2.teamKey);
  const b = await load(s2.daemon.smtp.port, make2, 8, seconds * 1000);
  line('accepted while processing (reports/s)', (b.accepted.length / b.seconds).toFixed(0));
  const processed = (s2.daemon.ctx.db.prepare("SELECT COUNT(*) AS n FROM spool WHERE state = 'done'").get() as { n: number }).n;
  line('processed into cases meanwhile (reports/s)', (processed / b.seconds).toFixed(0));
  await teardown(s2);

  // Latency end of DATA → case row, at a steady moderate rate (one sender, 20/s).
  const s3 = await setup(0);
  const make3 = await reportMaker(s3.teamKey);
  const tr = nodemailer.createTransport({ host: '127.0.0.1', port: s3.daemon.smtp.port, ignoreTLS: true });
  const lat: number[] = [];
  for (let i = 0; i < (quick ? 20 : 100); i++) {
    await tr.sendMail({ envelope: { from: 'r@reporter.example', to: ['security@example.org'] }, raw: make3(i) });
    const t = performance.now();
    while (!s3.daemon.ctx.db.prepare("SELECT 1 FROM spool WHERE id = (SELECT MAX(id) FROM spool) AND state = 'done'").get()) await new Promise((r) => setImmediate(r));
    lat.push(performance.now() - t);
    await new Promise((r) => setTimeout(r, 50));
  }
  tr.close();
  line('end of DATA → case row, p50 / p99 (ms)', `${median(lat).toFixed(1)} / ${pct(lat, 99).toFixed(1)}`);
  results.intake = { acceptedSpoolOnly: a.accepted.length / a.seconds, acceptedWhileProcessing: b.accepted.length / b.seconds, caseRowP50ms: median(lat), caseRowP99ms: pct(lat, 99) };
  await teardown(s3);
}

async function relayCompose(): Promise<void> {
  console.log('\n# Relay (issue 3): one 20 KB message + 100 KB attachment, sign once, encrypt per member');
  const team = (await openpgp.generateKey({ type: 'ecc', userIDs: [{ email: 'security@example.org' }], format: 'object' })).privateKey;
  const ecc: openpgp.PublicKey[] = [];
  for (let i = 0; i < 200; i++) ecc.push((await openpgp.generateKey({ type: 'ecc', userIDs: [{ email: `m${i}@e.org` }], format: 'object' })).publicKey);
  const rsa: openpgp.PublicKey[] = [];
  for (let i = 0; i < 3; i++) rsa.push((await openpgp.generateKey({ type: 'rsa', rsaBits: 3072, userIDs: [{ email: `r${i}@e.org` }], format: 'object' })).publicKey);
  const content = Buffer.concat([textEntity('x'.repeat(20 * 1024)), attachmentEntity('poc.bin', 'application/octet-stream', randomBytes(100 * 1024))]);
  const relay = async (keys: openpgp.PublicKey[]): Promise<number> => {
    const t0 = performance.now();
    const now = new Date();
    const inner = innerEntity({ subject: 's', from: 'a@b', to: 'c@d', date: now, messageId: '<x@y>' }, [textEntity('preamble'), content]);
    const shared = await encryptOnce(await signOnce(inner, team, now), team.toPublic(), now);
    for (const k of keys) {
      const raw = composeEncrypted({ fromName: 'T', from: 'security@example.org', to: 'm@e.org', subject: 's', messageId: '<a@b>', date: now }, ARMOR_SLOT);
      const armored = armorCopy(await keyPacketFor(shared, k, now), shared.encryptedData, '\r\n');
      Buffer.concat([raw, armored]);
    }
    return performance.now() - t0;
  };
  await relay(ecc.slice(0, 5));
  const out: Record<string, number> = {};
  for (const [name, pool] of [['cv25519', ecc], ['RSA-3072', rsa]] as const) {
    for (const n of [10, 50, 200]) {
      const keys = Array.from({ length: n }, (_, i) => pool[i % pool.length]!);
      const ts: number[] = [];
      for (let i = 0; i < (quick ? 1 : 5); i++) ts.push(await relay(keys));
      out[`${name}/${n}`] = median(ts);
      line(`${name}, ${n} members (ms, median)`, median(ts).toFixed(0));
    }
  }
  results.relay = out;
}

async function endToEnd(): Promise<void> {
  console.log('\n# End to end (issue 3): end of DATA → last relayed copy written, 10-member case');
  const s = await setup(10);
  const make = await reportMaker(s.teamKey, 20 * 1024);
  const tr = nodemailer.createTransport({ host: '127.0.0.1', port: s.daemon.smtp.port, ignoreTLS: true });
  const lat: number[] = [];
  for (let i = 0; i < (quick ? 5 : 30); i++) {
    const before = (s.daemon.ctx.db.prepare("SELECT COUNT(*) AS n FROM outbox WHERE state = 'sent'").get() as { n: number }).n;
    await tr.sendMail({ envelope: { from: 'r@reporter.example', to: ['security@example.org'] }, raw: make(i) });
    const t = performance.now();
    // 10 relays and one ack per report.
    while ((s.daemon.ctx.db.prepare("SELECT COUNT(*) AS n FROM outbox WHERE state = 'sent'").get() as { n: number }).n < before + 11) await new Promise((r) => setImmediate(r));
    lat.push(performance.now() - t);
  }
  tr.close();
  line('p50 / p99 (ms)', `${median(lat).toFixed(0)} / ${pct(lat, 99).toFixed(0)}`);
  results.endToEnd10 = { p50: median(lat), p99: pct(lat, 99) };
  await teardown(s);
}

async function sustained(): Promise<void> {
  const seconds = Number(process.env.VMTD_BENCH_SECONDS ?? (quick ? 5 : 60));
  console.log(`\n# Sustained load (issue 8): 8 senders for ${seconds} s, 10-member cases`);
  const s = await setup(10);
  const make = await reportMaker(s.teamKey);
  const db = s.daemon.ctx.db;
  const count = (sql: string): number => (db.prepare(sql).get() as { n: number }).n;
  const depth: number[] = [];
  const sampler = setInterval(() => depth.push(count("SELECT COUNT(*) AS n FROM outbox WHERE state IN ('queued','sending')")), 1000);
  const a = await load(s.daemon.smtp.port, make, 8, seconds * 1000);
  clearInterval(sampler);
  const processed = count("SELECT COUNT(*) AS n FROM spool WHERE state = 'done'");
  const sent = count("SELECT COUNT(*) AS n FROM outbox WHERE state = 'sent'");
  // Latency of what completed inside the window: spool receipt → last relay of that case sent.
  const lat = (
    db
      .prepare(
        `SELECT (julianday(MAX(o.sent_at)) - julianday(sp.received_at)) * 86400000 AS ms FROM spool sp JOIN outbox o ON o.case_id = sp.case_id
         WHERE sp.state = 'done' AND o.kind = 'relay' GROUP BY sp.id HAVING COUNT(*) = 10 AND SUM(o.state = 'sent') = 10`,
      )
      .all() as Array<{ ms: number }>
  ).map((r) => r.ms);
  line('accepted (reports/s)', (a.accepted.length / a.seconds).toFixed(0));
  line('deferred with 451 by backpressure (attempts)', String(a.deferred));
  line('processed into cases and relayed (reports/s)', (processed / a.seconds).toFixed(1));
  line('relays and acks delivered (mails/s)', (sent / a.seconds).toFixed(0));
  line('spool backlog at the end (reports)', String(a.accepted.length - processed));
  line('receipt → last relay, completed reports p50 / p99 (ms)', lat.length ? `${median(lat).toFixed(0)} / ${pct(lat, 99).toFixed(0)}` : 'n/a');
  line('outbox depth min / max / final', `${Math.min(...depth)} / ${Math.max(...depth)} / ${depth.at(-1)}`);
  line('peak RSS so far (MB)', (process.resourceUsage().maxRSS / 1024).toFixed(0));
  results.sustained = {
    seconds,
    acceptedPerSecond: a.accepted.length / a.seconds,
    processedPerSecond: processed / a.seconds,
    deliveredPerSecond: sent / a.seconds,
    backlog: a.accepted.length - processed,
    p50ms: median(lat),
    p99ms: pct(lat, 99),
    outboxMax: Math.max(...depth),
  };
  await teardown(s);
}

async function bigReport(): Promise<void> {
  console.log('\n# A 24 MB report with an attachment, 10-member case (issue 8)');
  const s = await setup(10);
  const att = randomBytes(12 * 1024 * 1024).toString('base64').replace(/.{76}/g, '$&\r\n');
  const inner = `Content-Type: multipart/mixed; boundary="x"\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\nbig report\r\n--x\r\nContent-Type: application/octet-stream; name="a.bin"\r\nContent-Transfer-Encoding: base64\r\n\r\n${att}\r\n--x--\r\n`;
  const asc = await openpgp.encrypt({ message: await openpgp.createMessage({ binary: Buffer.from(inner) }), encryptionKeys: s.teamKey });
  const raw = Buffer.from(
    `From: r@x.example\r\nTo: security@example.org\r\nSubject: big\r\nMIME-Version: 1.0\r\nContent-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="b"\r\n\r\n--b\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n\r\n--b\r\nContent-Type: application/octet-stream\r\n\r\n${asc.replace(/\n/g, '\r\n')}\r\n--b--\r\n`,
  );
  const rss0 = process.memoryUsage().rss;
  let peak = rss0;
  const iv = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  const small = nodemailer.createTransport({ host: '127.0.0.1', port: s.daemon.smtp.port, ignoreTLS: true });
  const lat: number[] = [];
  let stop = false;
  const side = (async () => {
    while (!stop) {
      const t = Date.now();
      await small.sendMail({ envelope: { from: 's@x.example', to: ['security@example.org'] }, raw: Buffer.from('From: s@x.example\r\nSubject: small\r\n\r\nhi\r\n') });
      lat.push(Date.now() - t);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  const big = nodemailer.createTransport({ host: '127.0.0.1', port: s.daemon.smtp.port, ignoreTLS: true });
  const t0 = Date.now();
  await big.sendMail({ envelope: { from: 'r@x.example', to: ['security@example.org'] }, raw });
  await s.daemon.settle();
  await s.daemon.settle();
  stop = true;
  await side;
  clearInterval(iv);
  h.disable();
  line('size (MB)', (raw.length / 1e6).toFixed(1));
  line('accepted and relayed to 10 members (s)', ((Date.now() - t0) / 1000).toFixed(1));
  line('RSS growth over the idle daemon, peak (MB)', ((peak - rss0) / 1e6).toFixed(0));
  line('longest event-loop stall (ms)', (h.max / 1e6).toFixed(0));
  line('small reports meanwhile: SMTP latency p50 / max (ms)', `${median(lat)} / ${Math.max(...lat)}`);
  results.bigReport = { mb: raw.length / 1e6, rssGrowthMb: (peak - rss0) / 1e6, maxStallMs: h.max / 1e6, smallP50: median(lat), smallMax: Math.max(...lat) };
  small.close();
  big.close();
  await teardown(s);
}

async function planner(): Promise<void> {
  console.log('\n# Planner (issue 6): one pass over 10,000 cases');
  const s = await setup(2);
  const db = s.daemon.ctx.db;
  const now = new Date();
  const ins = db.prepare("INSERT INTO cases (id, state, title_sealed, created_at, updated_at, embargo) VALUES (?, ?, ?, ?, ?, ?)");
  const stake = db.prepare('INSERT INTO case_stakeholders (case_id, stakeholder, added_at) VALUES (?, ?, ?)');
  db.transaction(() => {
    for (let i = 0; i < 10_000; i++) {
      const id = `SEC-2026-${String(i + 1000).padStart(5, '0')}`;
      const at = new Date(now.getTime() - (i % 30) * 86_400_000).toISOString();
      ins.run(id, ['new', 'triaged', 'accepted', 'closed'][i % 4], s.daemon.ctx.sealer.seal('t'), at, at, i % 3 === 0 ? new Date(now.getTime() + 20 * 86_400_000).toISOString() : null);
      if (i % 3 === 0) stake.run(id, 'distros', at);
    }
  })();
  await runPlanner(s.daemon.ctx);
  const ts: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    await runPlanner(s.daemon.ctx);
    ts.push(performance.now() - t);
  }
  line('planner pass with 10,000 cases (ms, median)', median(ts).toFixed(1));
  results.planner10k = median(ts);
  await teardown(s);
}

async function idle(): Promise<void> {
  const s = await setup(2);
  await new Promise((r) => setTimeout(r, 1000));
  (globalThis as { gc?: () => void }).gc?.();
  line('\nRSS of an idle daemon (MB, this process)', (process.memoryUsage().rss / 1e6).toFixed(0));
  results.idleRssMb = process.memoryUsage().rss / 1e6;
  await teardown(s);
}

console.log(`vmtd benchmark — ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), Node ${process.version}${quick ? ', QUICK run' : ''}`);
await idle();
await intake();
await relayCompose();
await endToEnd();
await planner();
await bigReport();
await sustained();
console.log(`\npeak RSS of the whole run (MB): ${(process.resourceUsage().maxRSS / 1024).toFixed(0)}`);
writeFileSync(new URL('./results.json', import.meta.url), JSON.stringify({ at: new Date().toISOString(), quick, ...results }, null, 2));
process.exit(0);
