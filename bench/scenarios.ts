// The benchmark's scenarios. Each runs in a fresh process (bench/scenario.ts), so peak RSS and heap
// are its own; the SMTP load comes from a separate child process (bench/sender.ts).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseConfig } from '../src/config/load.js';
import { startEngine } from '../src/daemon.js';
import { createLogger } from '../src/log.js';
import { composeRelay, type Inbound } from '../src/compose/relay.js';
import { attachmentEntity, textEntity } from '../src/mail/compose.js';
import { armorCopy } from '../src/pgp/encode.js';
import { unsigned } from '../src/pgp/verify.js';
import { insertCase, upsertMember } from '../src/store/cases.js';
import { type Member } from '../src/cases/members.js';
import { openDb } from '../src/store/db.js';
import { loadOrCreateDataKey, sealerFor } from '../src/store/seal.js';
import { spoolMessage } from '../src/store/spool.js';
import { runPlanner } from '../src/jobs/run-planner.js';
import { sampleQueues, Sender, startHarness, type Harness } from './harness.js';
import { censoredPct, encryptReport, mb, median, ms, pct, pgpMimeReport, quick, reportEntity, wall, writeBenchConfig, type KeyCache } from './lib.js';
import type { Sent } from './sender.js';

export interface Row {
  figure: string;
  value: string;
  target?: string;
  ok?: boolean;
}

export interface ScenarioResult {
  rows: Row[];
  details: Record<string, unknown>;
}

const line = (label: string, value: string): void => console.log(`  ${label.padEnd(62)} ${value}`);
const sleep = (t: number): Promise<void> => new Promise((r) => setTimeout(r, t));
const gc = (): void => (globalThis as { gc?: () => void }).gc?.();
const cpuMs = (u: NodeJS.CpuUsage): number => (u.user + u.system) / 1000;
/** Text size that makes a ~10 KB PGP/MIME report once encrypted and armored. */
const TEXT_10K = 7000;

async function until(cond: () => boolean, timeoutMs: number, stepMs = 20): Promise<boolean> {
  const end = wall() + timeoutMs;
  while (!cond()) {
    if (wall() > end) return false;
    await sleep(stepMs);
  }
  return true;
}

/** Per report: 250 → processed (case row) and 250 → last relay delivered, split into done and still-open at `end`. */
function latencies(h: Harness, sent: Sent[], end: number) {
  const relays = h.relaysOf();
  const caseDone: number[] = [];
  const caseOpen: number[] = [];
  const relayDone: number[] = [];
  const relayOpen: number[] = [];
  for (const s of sent) {
    const p = h.processedAt.get(s.id);
    if (p !== undefined && p <= end) caseDone.push(p - s.t250);
    else caseOpen.push(end - s.t250);
    const ids = relays.get(s.id) ?? [];
    const times = ids.map((id) => h.deliveredAt.get(id));
    if (ids.length > 0 && times.every((t) => t !== undefined && t <= end)) relayDone.push(Math.max(...(times as number[])) - s.t250);
    else relayOpen.push(end - s.t250);
  }
  return { caseDone, caseOpen, relayDone, relayOpen };
}

const fmtPct = (r: { value: number; censored: boolean }): string => `${r.censored ? '>= ' : ''}${ms(r.value)}`;

// ---------------------------------------------------------------------------------------------

/** Memory of an idle daemon (issue 6). */
export async function idle(keys: KeyCache): Promise<ScenarioResult> {
  console.log('\n# Memory while idle (issue 6)');
  gc();
  const bare = process.memoryUsage().rss;
  const h = await startHarness(keys, { coordinators: 2, projectContacts: 8, stakeholder: true });
  await sleep(2000);
  gc();
  gc();
  await sleep(200);
  const m = process.memoryUsage();
  line('node with vmtd modules loaded, before start: RSS (MB)', mb(bare));
  line('idle daemon after start and GC: RSS / heap used (MB)', `${mb(m.rss)} / ${mb(m.heapUsed)}`);
  await h.stop();
  return { rows: [{ figure: 'Idle daemon RSS after GC (MB)', value: mb(m.rss) }], details: { bareRssMb: bare / 2 ** 20, idleRssMb: m.rss / 2 ** 20, heapUsedMb: m.heapUsed / 2 ** 20 } };
}

// ---------------------------------------------------------------------------------------------

/** Planner pass over 10,000 cases (issue 6). */
export async function planner(keys: KeyCache): Promise<ScenarioResult> {
  console.log('\n# Planner pass with 10,000 cases (issue 6)');
  const dir = mkdtempSync(join(tmpdir(), 'vmtd-bench-'));
  const file = writeBenchConfig(dir, keys, { coordinators: 2, projectContacts: 0, stakeholder: true });
  const engine = await startEngine(parseConfig(readFileSync(file, 'utf8'), file), () => new Date(), createLogger('silent'));
  const { db, sealer, config } = engine.ctx;
  const now = Date.now();
  const DAY = 86_400_000;
  const states = ['new', 'new', 'triaged', 'accepted', 'accepted', 'scheduled', 'closed', 'published'];
  const t0 = performance.now();
  db.transaction(() => {
    const stake = db.prepare('INSERT INTO case_stakeholders (case_id, stakeholder, added_at) VALUES (?, ?, ?)');
    const setState = db.prepare('UPDATE cases SET state = ?, embargo = ? WHERE id = ?');
    for (let i = 0; i < 10_000; i++) {
      const id = `SEC-2025-${String(i + 1).padStart(5, '0')}`;
      const at = new Date(now - (i % 45) * DAY).toISOString().replace(/\.\d{3}Z$/, 'Z');
      insertCase(db, sealer, { id, title: `case ${i}`, reporter: `r${i}@reporter.example`, at });
      for (const c of config.coordinators) upsertMember(db, id, { email: c.email, name: c.name, role: 'coordinator', projectId: null, fingerprint: null, pinned: true }, at);
      upsertMember(db, id, { email: `r${i}@reporter.example`, name: null, role: 'reporter', projectId: null, fingerprint: null, pinned: true }, at);
      const state = states[i % states.length]!;
      // A third of the cases have an embargo 10–40 days out (pre-disclosure not due yet) and a stakeholder to notify.
      const embargo = i % 3 === 0 ? new Date(now + (10 + (i % 30)) * DAY).toISOString().replace(/\.\d{3}Z$/, 'Z') : null;
      setState.run(state, embargo, id);
      if (embargo) stake.run(id, 'distros', at);
    }
  })();
  line('inserted 10,000 cases, 30,000 members, 3,334 stakeholder links (ms)', ms(performance.now() - t0));
  const first = performance.now();
  const s0 = await runPlanner(engine.ctx);
  const firstMs = performance.now() - first;
  const passes: number[] = [];
  let due = 0;
  for (let i = 0; i < (quick ? 3 : 7); i++) {
    const t = performance.now();
    due = (await runPlanner(engine.ctx)).due;
    passes.push(performance.now() - t);
  }
  // A pass reads the database again only when it changed since the last pass (planReads): under
  // mail, every pass does. Here one open case is touched (its updated_at) before each pass.
  const changedPasses: number[] = [];
  const touch = db.prepare('UPDATE cases SET updated_at = ? WHERE id = ?');
  for (let i = 0; i < (quick ? 3 : 7); i++) {
    touch.run(new Date(now + i * 1000).toISOString(), 'SEC-2025-00001');
    const t = performance.now();
    await runPlanner(engine.ctx);
    changedPasses.push(performance.now() - t);
  }
  // The digest pass renders one mail per coordinator listing the reminders (at most 200).
  let digestMs = NaN;
  let digestSent = 0;
  if (!quick) {
    const td = performance.now();
    digestSent = (await runPlanner(engine.ctx, { digest: true })).sent.length;
    digestMs = performance.now() - td;
  }
  line('first pass (creates the planned-notice rows) (ms)', `${ms(firstMs, 1)}  (${s0.due} actions due)`);
  line('steady pass, nothing changed since the last, median / max (ms)', `${ms(median(passes), 1)} / ${ms(Math.max(...passes), 1)}  (${due} actions due)`);
  line('pass after a case changed, median / max (ms)', `${ms(median(changedPasses), 1)} / ${ms(Math.max(...changedPasses), 1)}`);
  line('pass with the daily digest for 2 coordinators (ms)', quick ? 'not measured in a quick run' : `${ms(digestMs, 1)}  (${digestSent} sent)`);
  await engine.stop();
  rmSync(dir, { recursive: true, force: true });
  return {
    rows: [
      { figure: 'Planner pass, 10,000 cases, steady (ms, median)', value: ms(median(passes), 1), target: '<= 50', ok: median(passes) <= 50 },
      { figure: 'Planner pass, 10,000 cases, after a change (ms, median)', value: ms(median(changedPasses), 1), target: '<= 50', ok: median(changedPasses) <= 50 },
      { figure: 'Planner pass incl. daily digest, 10,000 cases (ms)', value: ms(digestMs, 0) },
    ],
    details: { firstPassMs: firstMs, passesMs: passes, medianMs: median(passes), digestPassMs: digestMs, dueFirst: s0.due, dueSteady: due },
  };
}

// ---------------------------------------------------------------------------------------------

/** composeRelay for 10/50/200 members, cv25519 and RSA-3072 (issue 3). */
export async function relay(keys: KeyCache): Promise<ScenarioResult> {
  console.log('\n# Relay compose (issue 3): composeRelay of a 20 KB message + 100 KB attachment, sign once, encrypt per member');
  const dir = mkdtempSync(join(tmpdir(), 'vmtd-bench-'));
  const file = writeBenchConfig(dir, keys, { coordinators: 0, projectContacts: 0 });
  const engine = await startEngine(parseConfig(readFileSync(file, 'utf8'), file), () => new Date(), createLogger('silent'));
  const ctx = engine.ctx;
  const at = new Date().toISOString();
  const ecc = (await Promise.all(keys.ecc.map((k) => ctx.keyring.import(k, 'import', at)))).flat();
  const rsa = (await Promise.all(keys.rsa.map((k) => ctx.keyring.import(k, 'import', at)))).flat();
  const content = Buffer.concat([
    Buffer.from('Content-Type: multipart/mixed; boundary="rel-b"\r\n\r\n--rel-b\r\n'),
    textEntity(reportEntity(20 * 1024).split('\r\n\r\n').slice(1).join('\r\n\r\n')),
    Buffer.from('\r\n--rel-b\r\n'),
    attachmentEntity('poc.bin', 'application/octet-stream', randomBytes(100 * 1024)),
    Buffer.from('\r\n--rel-b--\r\n'),
  ]);
  const inbound: Inbound = {
    from: 'reporter@reporter.example',
    fromName: 'A Reporter',
    subject: 'heap overflow in the packet parser',
    messageId: '<bench-relay@reporter.example>',
    decoded: { format: 'pgp-mime', encrypted: true, signature: unsigned, content, notes: [], payloadIds: [] },
  };
  // Members carry their key's fingerprint, as case members do; RSA members reuse the 8 RSA keys
  // round-robin (the cost per member is one public-key operation whichever key it is).
  const membersOf = (pool: typeof ecc, n: number): Member[] =>
    Array.from({ length: n }, (_, i) => ({ email: `member-${i}@bench.example`, name: null, role: 'expert' as const, projectId: null, fingerprint: pool[i % pool.length]!.getFingerprint().toUpperCase(), pinned: true }));
  const reps = quick ? 2 : 7;
  await composeRelay(ctx, 'SEC-2026-0001', membersOf(ecc, 5), inbound, null); // warm up
  const out: Record<string, { medianMs: number; minMs: number; armorMs: number; bytesPerCopy: number }> = {};
  const rows: Row[] = [];
  const target: Record<number, number> = { 10: 60, 50: 250, 200: 1000 };
  line('content relayed (bytes)', String(content.length));
  for (const [name, pool] of [['cv25519', ecc], ['RSA-3072', rsa]] as const) {
    for (const n of [1, 10, 50, 200]) {
      const members = membersOf(pool, n);
      const ts: number[] = [];
      let armor = 0;
      let bytes = 0;
      for (let r = 0; r < reps; r++) {
        gc();
        const t = performance.now();
        const plan = await composeRelay(ctx, 'SEC-2026-0001', members, inbound, null);
        ts.push(performance.now() - t);
        if (plan.mails.length !== n) throw new Error(`composeRelay made ${plan.mails.length} mails for ${n} members (skipped: ${JSON.stringify(plan.skipped.slice(0, 2))})`);
        // What the outbox does per copy at delivery: armor key packet + shared data into the slot.
        const ta = performance.now();
        for (const m of plan.mails) bytes = (await armorCopy(m.shared!.keyPacket, m.shared!.payload.stored.inline!, '\r\n')).reduce((n, p) => n + p.length, 0) + m.raw.length;
        armor = performance.now() - ta;
      }
      out[`${name}/${n}`] = { medianMs: median(ts), minMs: Math.min(...ts), armorMs: armor, bytesPerCopy: bytes };
      line(`${name}, ${String(n).padStart(3)} members: composeRelay median / min (ms); + armoring all copies (ms)`, `${ms(median(ts))} / ${ms(Math.min(...ts))}; + ${ms(armor)}`);
      const tg = target[n];
      if (tg !== undefined) rows.push({ figure: `Relay compose+sign+encrypt, ${name}, ${n} members (ms)`, value: ms(median(ts)), ...(name === 'cv25519' ? { target: `<= ${tg}`, ok: median(ts) <= tg } : {}) });
    }
  }
  await engine.stop();
  rmSync(dir, { recursive: true, force: true });
  return { rows, details: { contentBytes: content.length, reps, ...out } };
}

// ---------------------------------------------------------------------------------------------

/** SMTP intake (issue 2): acceptance with 8 senders, with and without processing; latency to the case row. */
export async function intake(keys: KeyCache): Promise<ScenarioResult> {
  const seconds = quick ? 3 : 15;
  console.log(`\n# Intake (issue 2): 8 concurrent SMTP senders for ${seconds} s, ~10 KB PGP/MIME reports, durable spool`);
  const rows: Row[] = [];
  const details: Record<string, unknown> = {};

  // (a) Acceptance alone: processing stopped, backpressure lifted; what the spool commit allows.
  {
    const h = await startHarness(keys, { coordinators: 2, projectContacts: 0, maxBacklog: 1_000_000 });
    await h.daemon.pipeline.stop();
    const entity = reportEntity(TEXT_10K);
    const sender = new Sender();
    const c0 = process.cpuUsage();
    // The pipeline is stopped, so nothing is decrypted: one ciphertext serves every report.
    const r = await sender.load({ type: 'load', port: h.daemon.smtp.port, senders: 8, ms: seconds * 1000, entity, teamKey: h.teamKey, reuse: true, tag: 'a' });
    const cpu = cpuMs(process.cpuUsage(c0));
    const rate = r.sent.length / r.seconds;
    const smtpLat = r.sent.map((s) => s.t250 - s.t0);
    line('report size on the wire (bytes)', String(pgpMimeReport(await encryptReport(entity, h.teamKey), 'a', 0).length));
    line('(a) accepted, processing stopped (reports/s)', ms(rate));
    line('    SMTP transaction time p50 / p99 (ms)', `${ms(median(smtpLat), 1)} / ${ms(pct(smtpLat, 99), 1)}`);
    line('    CPU: daemon / sender process (% of one core)', `${ms((cpu / 10) / r.seconds)} / ${ms((r.cpuMs / 10) / r.seconds)}`);
    if (r.errors.length) line('    errors', r.errors.slice(0, 3).join('; '));
    details.spoolOnly = { acceptedPerSecond: rate, accepted: r.sent.length, smtpP50: median(smtpLat), smtpP99: pct(smtpLat, 99), daemonCpuPct: cpu / 10 / r.seconds, senderCpuPct: r.cpuMs / 10 / r.seconds, errors: r.errors.length };
    rows.push({ figure: 'Intake accepted/s, 8 senders, processing stopped', value: ms(rate), target: '>= 200', ok: rate >= 200 });
    await h.stop();
  }

  // (b) Realistic: processing runs in the same process (2 coordinators: 2 relays + 1 ack per report).
  {
    const h = await startHarness(keys, { coordinators: 2, projectContacts: 0, maxBacklog: 1_000_000 });
    const sender = new Sender();
    const c0 = process.cpuUsage();
    const r = await sender.load({ type: 'load', port: h.daemon.smtp.port, senders: 8, ms: seconds * 1000, entity: reportEntity(TEXT_10K), teamKey: h.teamKey, prepare: seconds * 70, tag: 'b' });
    const end = wall();
    const cpu = cpuMs(process.cpuUsage(c0));
    const rate = r.sent.length / r.seconds;
    const processed = [...h.processedAt.values()].filter((t) => t <= end).length;
    const l = latencies(h, r.sent, end);
    const p50 = censoredPct(l.caseDone, l.caseOpen, 50);
    const p99 = censoredPct(l.caseDone, l.caseOpen, 99);
    line('(b) accepted, processing concurrently (reports/s)', ms(rate));
    line('    processed into cases meanwhile (reports/s)', ms(processed / r.seconds, 1));
    line('    end of DATA → case row, p50 / p99 (ms; >= : still queued at the end)', `${fmtPct(p50)} / ${fmtPct(p99)}`);
    line('    CPU: daemon / sender process (% of one core)', `${ms(cpu / 10 / r.seconds)} / ${ms(r.cpuMs / 10 / r.seconds)}`);
    details.concurrent = { acceptedPerSecond: rate, processedPerSecond: processed / r.seconds, caseRowP50: p50, caseRowP99: p99, daemonCpuPct: cpu / 10 / r.seconds, senderCpuPct: r.cpuMs / 10 / r.seconds };
    rows.push({ figure: 'Intake accepted/s, 8 senders, processing concurrently', value: ms(rate), target: '>= 200', ok: rate >= 200 });
    rows.push({ figure: 'Intake processed into cases/s (same run)', value: ms(processed / r.seconds, 1) });
    rows.push({ figure: 'End of DATA → case row under that load, p50 (ms)', value: fmtPct(p50) });
    await h.stop();
  }

  // (c) Latency to the case row without queueing: one sender, 10 reports/s.
  {
    const h = await startHarness(keys, { coordinators: 2, projectContacts: 0 });
    const sender = new Sender();
    const count = quick ? 20 : 100;
    const r = await sender.load({ type: 'load', port: h.daemon.smtp.port, senders: 1, ms: 0, count, prepare: count, paceMs: 100, entity: reportEntity(TEXT_10K), teamKey: h.teamKey, tag: 'c' });
    await until(() => r.sent.every((s) => h.processedAt.has(s.id)), 30_000);
    const l = latencies(h, r.sent, wall());
    line('(c) end of DATA → case row at 10 reports/s, p50 / p99 (ms)', `${ms(median(l.caseDone), 1)} / ${ms(pct(l.caseDone, 99), 1)}`);
    details.paced = { rate: 10, n: r.sent.length, caseRowP50: median(l.caseDone), caseRowP99: pct(l.caseDone, 99) };
    rows.push({ figure: 'End of DATA → case row at 10/s (no queue), p50 / p99 (ms)', value: `${ms(median(l.caseDone), 1)} / ${ms(pct(l.caseDone, 99), 1)}`, target: 'median <= 50', ok: median(l.caseDone) <= 50 });
    await h.stop();
  }

  // (d) The spool commit alone: one sealed ~10 KB row per transaction, synchronous FULL vs NORMAL, and group commit.
  {
    const dir = mkdtempSync(join(tmpdir(), 'vmtd-bench-'));
    const db = openDb(join(dir, 'spool.sqlite'));
    const sealer = sealerFor(loadOrCreateDataKey(join(dir, 'data.key')));
    const raw = randomBytes(10 * 1024);
    const env = { mailFrom: 'r@reporter.example', rcptTo: ['security@example.org'], via: 'smtp' as const };
    const n = quick ? 100 : 400;
    const run = (sync: string, batch: number): number => {
      db.pragma(`synchronous = ${sync}`);
      const t = performance.now();
      for (let i = 0; i < n; i += batch) db.transaction(() => {
        for (let j = 0; j < batch; j++) spoolMessage(db, sealer, raw, env, new Date().toISOString());
      })();
      return (performance.now() - t) / n;
    };
    const full1 = run('FULL', 1);
    const normal1 = run('NORMAL', 1);
    const full8 = run('FULL', 8);
    const full32 = run('FULL', 32);
    db.close();
    rmSync(dir, { recursive: true, force: true });
    line('(d) spool insert, synchronous=FULL, 1 row per commit (ms/row → rows/s)', `${ms(full1, 2)} → ${ms(1000 / full1)}`);
    line('    synchronous=NORMAL (not durable on power loss) (ms/row → rows/s)', `${ms(normal1, 2)} → ${ms(1000 / normal1)}`);
    line('    FULL, group commit of 8 rows / 32 rows (ms/row → rows/s)', `${ms(full8, 2)} → ${ms(1000 / full8)} / ${ms(full32, 2)} → ${ms(1000 / full32)}`);
    details.spoolInsert = { fullMsPerRow: full1, normalMsPerRow: normal1, full8MsPerRow: full8, full32MsPerRow: full32 };
    rows.push({ figure: 'Spool commit alone, synchronous=FULL (rows/s)', value: ms(1000 / full1) });
    rows.push({ figure: 'Spool commit, FULL with group commit of 8 (rows/s)', value: ms(1000 / full8) });
  }
  return { rows, details };
}

// ---------------------------------------------------------------------------------------------

/** End of DATA → last relayed copy in the maildir, 10-member case (issue 3). */
export async function endToEnd(keys: KeyCache): Promise<ScenarioResult> {
  console.log('\n# End to end (issues 3, 16): SMTP connect → last of 10 relayed copies written to the maildir, one report at a time, a new connection each');
  const rows: Row[] = [];
  const details: Record<string, unknown> = {};
  // Targets of issue 16 (60× the re-encrypting list manager measured here): 10 members small ≤ ~70 ms, 1 MB ≤ ~190 ms.
  for (const [label, entity, target] of [
    ['10 KB report', reportEntity(TEXT_10K, { project: true }), 70],
    ['20 KB report + 100 KB attachment', reportEntity(20 * 1024, { project: true, attachment: randomBytes(100 * 1024) }), undefined],
    ['20 KB report + 1 MiB attachment', reportEntity(20 * 1024, { project: true, attachment: randomBytes(1 << 20) }), 190],
  ] as const) {
    // VMTD_BENCH_E2E=1 MiB: only the rows whose label contains that text.
    if (process.env.VMTD_BENCH_E2E && !label.includes(process.env.VMTD_BENCH_E2E)) continue;
    const h = await startHarness(keys, { coordinators: 2, projectContacts: 8 });
    const sender = new Sender();
    const count = Number(process.env.VMTD_BENCH_E2E_COUNT ?? (quick ? 5 : 25));
    const r = await sender.load({ type: 'load', port: h.daemon.smtp.port, senders: 1, ms: 0, count, prepare: count, paceMs: 600, connectEach: true, entity, teamKey: h.teamKey, tag: 'e' });
    const relays = (): Map<number, number[]> => h.relaysOf();
    await until(() => {
      const m = relays();
      return r.sent.every((s) => (m.get(s.id) ?? []).length === 10 && m.get(s.id)!.every((id) => h.deliveredAt.has(id)));
    }, 60_000, 100);
    const l = latencies(h, r.sent, wall());
    const m = relays();
    // The first report warms up (JIT, the signing worker): not counted.
    const fromConnect = r.sent.slice(1).flatMap((s) => {
      const ids = m.get(s.id) ?? [];
      return ids.length === 10 && ids.every((id) => h.deliveredAt.has(id)) ? [Math.max(...ids.map((id) => h.deliveredAt.get(id)!)) - s.t0] : [];
    });
    const relayCounts = [...m.values()].map((v) => v.length);
    line(`${label}: relays per report`, `${Math.min(...relayCounts)}..${Math.max(...relayCounts)}`);
    line(`${label}: connect → last relay written p50 / p99 (ms)`, `${ms(median(fromConnect))} / ${ms(pct(fromConnect, 99))}`);
    const phase = (f: (s: (typeof r.sent)[number]) => number | undefined): number[] => r.sent.slice(1).flatMap((s) => (f(s) === undefined ? [] : [f(s)!]));
    const lastOf = (id: number): number | undefined => {
      const ids = m.get(id) ?? [];
      return ids.length ? Math.max(...ids.map((x) => h.deliveredAt.get(x) ?? NaN)) : undefined;
    };
    line(`${label}:   connect → 250 / 250 → case row / case row → last copy, p50 (ms)`, [phase((s) => s.t250 - s.t0), phase((s) => (h.processedAt.get(s.id) ?? NaN) - s.t250), phase((s) => (lastOf(s.id) ?? NaN) - (h.processedAt.get(s.id) ?? NaN))].map((x) => ms(median(x))).join(' / '));
    const steps = r.sent.slice(1).map((s) => h.stepMs.get(s.id) ?? {});
    const names = Object.keys(steps[0] ?? {});
    line(`${label}:   processing steps, p50 (ms)`, names.map((n) => [n, median(steps.map((x) => x[n] ?? 0))] as const).filter(([, v]) => v >= 1).sort((a, b) => b[1] - a[1]).map(([n, v]) => `${n} ${ms(v)}`).join(', '));
    line(`${label}: 250 → case row p50; → last relay written p50 / p99 (ms)`, `${ms(median(l.caseDone))}; ${ms(median(l.relayDone))} / ${ms(pct(l.relayDone, 99))}`);
    if (l.relayOpen.length) line(`${label}: reports not fully relayed after 60 s`, String(l.relayOpen.length));
    details[label] = { n: r.sent.length, connectToLastP50: median(fromConnect), connectToLastP99: pct(fromConnect, 99), caseRowP50: median(l.caseDone), lastRelayP50: median(l.relayDone), lastRelayP99: pct(l.relayDone, 99), unfinished: l.relayOpen.length };
    rows.push({ figure: `End to end, 10 members, ${label}: connect → last copy p50 / p99 (ms)`, value: `${ms(median(fromConnect))} / ${ms(pct(fromConnect, 99))}`, ...(target ? { target: `p50 <= ${target}`, ok: median(fromConnect) <= target } : {}) });
    await h.stop();
  }
  return { rows, details };
}

// ---------------------------------------------------------------------------------------------

/** Sustained load with relays to 10-member cases (issue 8). */
export async function sustained(keys: KeyCache): Promise<ScenarioResult> {
  const seconds = Number(process.env.VMTD_BENCH_SECONDS ?? (quick ? 8 : 60));
  console.log(`\n# Sustained load (issue 8): 8 SMTP senders for ${seconds} s, ~10 KB reports, 10-member cases, default backpressure (451 beyond 2000 pending)`);
  const h = await startHarness(keys, { coordinators: 2, projectContacts: 8 });
  const { depth, backlog, stop: stopSampling } = sampleQueues(h);
  const sender = new Sender();
  const c0 = process.cpuUsage();
  const r = await sender.load({ type: 'load', port: h.daemon.smtp.port, senders: 8, ms: seconds * 1000, entity: reportEntity(TEXT_10K, { project: true }), teamKey: h.teamKey, prepare: seconds * 70, tag: 's' });
  const end = wall();
  stopSampling();
  const cpu = cpuMs(process.cpuUsage(c0));
  const l = latencies(h, r.sent, end);
  const p50 = censoredPct(l.relayDone, l.relayOpen, 50);
  const p99 = censoredPct(l.relayDone, l.relayOpen, 99);
  const delivered = [...h.deliveredAt.values()].filter((t) => t <= end).length;
  const rss = process.resourceUsage().maxRSS * 1024;
  const accepted = r.sent.length / r.seconds;
  line('accepted (reports/s)', ms(accepted, 1));
  line('deferred with 451 by backpressure (attempts)', String(r.deferred));
  line('processed into cases (reports/s)', ms(l.caseDone.length / r.seconds, 1));
  line('fully relayed to all 10 members within the window (reports/s)', ms(l.relayDone.length / r.seconds, 1));
  line('mails delivered (relays + acks) (mails/s)', ms(delivered / r.seconds, 1));
  line('end of DATA → last relay written, p50 / p99 (ms; >= : unfinished at the end)', `${fmtPct(p50)} / ${fmtPct(p99)}`);
  line('  of reports relayed completely within the window: p50 / p99 (ms)', `${ms(median(l.relayDone))} / ${ms(pct(l.relayDone, 99))}`);
  line('outbox depth (queued+sending) sampled each second: min / max / final', `${Math.min(...depth)} / ${Math.max(...depth)} / ${depth.at(-1)}`);
  line('spool backlog (pending) sampled each second: max / final', `${Math.max(...backlog)} / ${backlog.at(-1)}`);
  line('peak RSS of the daemon process (MB)', mb(rss));
  line('CPU: daemon / sender process (% of one core)', `${ms(cpu / 10 / r.seconds)} / ${ms(r.cpuMs / 10 / r.seconds)}`);
  if (r.errors.length) line('errors', `${r.errors.length}: ${r.errors.slice(0, 2).join('; ')}`);
  await h.stop();
  return {
    rows: [
      { figure: `Sustained ${seconds} s: accepted / processed / fully relayed (reports/s)`, value: `${ms(accepted, 1)} / ${ms(l.caseDone.length / r.seconds, 1)} / ${ms(l.relayDone.length / r.seconds, 1)}` },
      { figure: 'Sustained: DATA end → last relay p50 / p99 (ms)', value: `${fmtPct(p50)} / ${fmtPct(p99)}` },
      { figure: 'Sustained: outbox depth min / max / final', value: `${Math.min(...depth)} / ${Math.max(...depth)} / ${depth.at(-1)}` },
      { figure: 'Sustained: peak RSS (MB)', value: mb(rss) },
    ],
    details: {
      seconds,
      acceptedPerSecond: accepted,
      deferred: r.deferred,
      processedPerSecond: l.caseDone.length / r.seconds,
      relayedPerSecond: l.relayDone.length / r.seconds,
      deliveredPerSecond: delivered / r.seconds,
      p50,
      p99,
      completedP50: median(l.relayDone),
      completedP99: pct(l.relayDone, 99),
      outboxDepth: depth,
      spoolBacklog: backlog,
      peakRssMb: rss / 2 ** 20,
      daemonCpuPct: cpu / 10 / r.seconds,
      senderCpuPct: r.cpuMs / 10 / r.seconds,
    },
  };
}

// ---------------------------------------------------------------------------------------------

/** A 25 MB report with attachments while small reports keep arriving (issue 8). */
export async function bigReport(keys: KeyCache): Promise<ScenarioResult> {
  const bytes = quick ? 6_000_000 : 25_000_000;
  console.log(`\n# A ${bytes / 1e6} MB report with attachments, 10-member case, small reports every 100 ms on another connection (issue 8)`);
  const h = await startHarness(keys, { coordinators: 2, projectContacts: 8 });
  const sender = new Sender();
  sender.send({ type: 'big', port: h.daemon.smtp.port, teamKey: h.teamKey, bytes, smallEntity: reportEntity(TEXT_10K), sideEveryMs: 100 });
  const { size } = await sender.next('ready');
  gc();
  await sleep(200);
  const rssBefore = process.memoryUsage().rss;
  let rssPeakSampled = rssBefore;
  const rssSamples: Array<{ at: number; rss: number }> = [];
  const rssTimer = setInterval(() => {
    const rss = process.memoryUsage().rss;
    rssPeakSampled = Math.max(rssPeakSampled, rss);
    rssSamples.push({ at: wall(), rss });
  }, 20);
  // Stalls: gaps in a 10 ms timer over 100 ms, with when they happened, to place them in a phase.
  const stalls: Array<{ at: number; ms: number }> = [];
  let tick = wall();
  const stallTimer = setInterval(() => {
    const now = wall();
    if (now - tick > 110) stalls.push({ at: tick, ms: now - tick - 10 });
    tick = now;
  }, 10);
  const hist = monitorEventLoopDelay({ resolution: 10 });
  hist.enable();
  const t0 = wall();
  sender.send({ type: 'go' });
  const acc = await sender.next('big-accepted');
  if (!acc.big) throw new Error(`the big report was refused: ${acc.error}`);
  const big = acc.big;
  await until(() => h.processedAt.has(big.id), 300_000, 50);
  const tCase = h.processedAt.get(big.id)!;
  await until(() => {
    const ids = h.relaysOf().get(big.id) ?? [];
    return ids.length === 10 && ids.every((id) => h.deliveredAt.has(id));
  }, 300_000, 100);
  const ids = h.relaysOf().get(big.id) ?? [];
  const tRelayed = Math.max(...ids.map((id) => h.deliveredAt.get(id) ?? NaN));
  await sleep(500);
  sender.send({ type: 'stop' });
  const done = await sender.next('big-done');
  hist.disable();
  clearInterval(rssTimer);
  clearInterval(stallTimer);
  await until(() => done.side.every((s) => h.processedAt.has(s.id)), 60_000);
  const peak = process.resourceUsage().maxRSS * 1024;
  const phase = (at: number): string => (at < big.t250 ? 'receive+spool' : at < tCase ? 'decrypt+process' : at <= tRelayed ? 'deliver' : 'after');
  const byPhase: Record<string, number> = {};
  for (const s of stalls) byPhase[phase(s.at)] = Math.max(byPhase[phase(s.at)] ?? 0, s.ms);
  const rssByPhase: Record<string, number> = {};
  for (const s of rssSamples) rssByPhase[phase(s.at)] = Math.max(rssByPhase[phase(s.at)] ?? 0, s.rss);
  const smtpLat = done.side.map((s) => s.t250 - s.t0);
  const sideDuring = done.side.filter((s) => s.t0 >= t0 && s.t0 <= tRelayed);
  const sideCase = sideDuring.map((s) => (h.processedAt.get(s.id) ?? NaN) - s.t250).filter(Number.isFinite);
  const maxStall = hist.max / 1e6;
  line('size on the wire (MB)', (size / 1e6).toFixed(1));
  line('SMTP transfer to 250 / 250 → case row / case row → 10th relay written (s)', `${((big.t250 - big.t0) / 1000).toFixed(1)} / ${((tCase - big.t250) / 1000).toFixed(1)} / ${((tRelayed - tCase) / 1000).toFixed(1)}`);
  line('peak RSS of the daemon process (MB); RSS before it arrived (MB)', `${mb(peak)}; ${mb(rssBefore)}`);
  line('sampled RSS peak by phase (MB)', Object.entries(rssByPhase).map(([k, v]) => `${k} ${mb(v)}`).join(', '));
  // RSS every 250 ms from the start: | marks the 250, the case row and the 10th relay written.
  const marks = [big.t250, tCase, tRelayed];
  const timeline: string[] = [];
  for (let i = 0, next = t0; i < rssSamples.length; i++) {
    const s = rssSamples[i]!;
    while (marks.length && s.at >= marks[0]!) {
      timeline.push('|');
      marks.shift();
    }
    if (s.at >= next) {
      timeline.push(mb(s.rss));
      next += 250;
    }
  }
  line('RSS every 250 ms (MB; | = 250, case row, 10th relay)', timeline.join(' '));
  line('event loop: longest stall (monitorEventLoopDelay max) / p99 (ms)', `${ms(maxStall)} / ${ms(hist.percentile(99) / 1e6)}`);
  line('stalls > 100 ms: count; longest by phase (ms)', `${stalls.length}; ${Object.entries(byPhase).map(([k, v]) => `${k} ${ms(v)}`).join(', ') || 'none'}`);
  line('small reports meanwhile: sent; SMTP 250 latency p50 / max (ms)', `${done.side.length}; ${ms(median(smtpLat))} / ${ms(Math.max(...smtpLat))}`);
  line('small reports sent while the big one was in work: 250 → case row p50 / max (ms)', `${ms(median(sideCase))} / ${ms(Math.max(...sideCase))}`);
  if (done.errors.length) line('small report errors', `${done.errors.length}: ${done.errors.slice(0, 2).join('; ')}`);
  await h.stop();
  return {
    rows: [
      { figure: `${bytes / 1e6} MB report: peak RSS (MB)`, value: mb(peak), target: '<= 300', ok: peak <= 300 * 2 ** 20 },
      { figure: `${bytes / 1e6} MB report: longest event-loop stall (ms)`, value: ms(maxStall), target: '<= 200', ok: maxStall <= 200 },
      { figure: `${bytes / 1e6} MB report: small reports' SMTP latency p50 / max (ms)`, value: `${ms(median(smtpLat))} / ${ms(Math.max(...smtpLat))}` },
      { figure: `${bytes / 1e6} MB report: small reports' 250 → case row, max (ms)`, value: ms(Math.max(...sideCase)) },
    ],
    details: {
      bytes: size,
      transferMs: big.t250 - big.t0,
      processMs: tCase - big.t250,
      deliverMs: tRelayed - tCase,
      peakRssMb: peak / 2 ** 20,
      sampledPeakRssMb: rssPeakSampled / 2 ** 20,
      rssBeforeMb: rssBefore / 2 ** 20,
      maxStallMs: maxStall,
      p99DelayMs: hist.percentile(99) / 1e6,
      stalls,
      stallsByPhase: byPhase,
      side: { n: done.side.length, smtpP50: median(smtpLat), smtpMax: Math.max(...smtpLat), caseRowP50: median(sideCase), caseRowMax: Math.max(...sideCase), errors: done.errors.length },
    },
  };
}
