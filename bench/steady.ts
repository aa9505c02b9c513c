// The fixed-rate scenario of issue 16: reports arrive at a steady rate (open loop, 20/s by default)
// for ~20 s, each relayed to a 10-member case; does relaying keep up, and how long does a report
// wait from its 250 to the last relayed copy written? The wait is split at the pipeline's commit
// (250 → processed, processed → last copy), with the steps' and the crypto pool's times, so a run
// says where it went. VMTD_BENCH_STEADY_DUMP=FILE writes each report's times as JSON.
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { sampleQueues, Sender, startHarness } from './harness.js';
import { censoredPct, mb, median, ms, pct, quick, reportEntity, wall, type KeyCache } from './lib.js';
import type { Row, ScenarioResult } from './scenarios.js';

const line = (label: string, value: string): void => console.log(`  ${label.padEnd(62)} ${value}`);
const sleep = (t: number): Promise<void> => new Promise((r) => setTimeout(r, t));
/** Text size that makes a ~10 KB PGP/MIME report once encrypted and armored. */
const TEXT_10K = 7000;

/** CPU time (ms) of this process's main thread, from /proc (Linux; NaN elsewhere): the event loop's share of the work. */
function mainThreadCpuMs(): number {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime + stime, in clock ticks of 1/100 s
  } catch {
    return NaN;
  }
}

/**
 * `VMTD_BENCH_RATE` reports/s (default 20) for `VMTD_BENCH_STEADY_SECONDS` s (default 20, 8 in a
 * quick run), ~10 KB reports to 10-member cases, sent open loop over 8 connections; then up to 30 s
 * for the rest to be relayed. Figures: relayed throughput, 250 → last relayed copy p50/p99, outbox
 * depth, peak RSS of the daemon process (its worker threads included).
 */
export async function steady(keys: KeyCache): Promise<ScenarioResult> {
  const rate = Number(process.env.VMTD_BENCH_RATE ?? 20);
  const seconds = Number(process.env.VMTD_BENCH_STEADY_SECONDS ?? (quick ? 8 : 20));
  console.log(`\n# Fixed rate (issue 16): ${rate} reports/s for ${seconds} s, ~10 KB reports, 10-member cases (open loop, 8 connections)`);
  const h = await startHarness(keys, { coordinators: 2, projectContacts: 8 });
  const { depth, backlog, stop: stopSampling } = sampleQueues(h);
  // How long the pipeline waits for a relay to be sealed (the crypto pool's round trip).
  const sealMs: number[] = [];
  const pool = h.daemon.ctx.crypto;
  if (pool) {
    const seal = pool.seal.bind(pool);
    pool.seal = async (...args) => {
      const t = performance.now();
      try {
        return await seal(...args);
      } finally {
        sealMs.push(performance.now() - t);
      }
    };
  }
  const sender = new Sender();
  const c0 = process.cpuUsage();
  const main0 = mainThreadCpuMs();
  const r = await sender.load({ type: 'load', port: h.daemon.smtp.port, senders: 8, ms: seconds * 1000, rate, entity: reportEntity(TEXT_10K, { project: true }), teamKey: h.teamKey, prepare: Math.ceil(seconds * rate), tag: 'f' });
  const window = wall();
  // The sending window starts when the sender's clock did (after it encrypted the reports ahead).
  const t0 = window - r.seconds * 1000;
  const lastOf = (id: number, relays: Map<number, number[]>): number | undefined => {
    const ids = relays.get(id) ?? [];
    const times = ids.map((x) => h.deliveredAt.get(x));
    return ids.length === 10 && times.every((t) => t !== undefined) ? Math.max(...(times as number[])) : undefined;
  };
  // Let the rest drain (bounded): the latency of every report counts, not only of those done in the window.
  const drainEnd = window + 30_000;
  for (;;) {
    const relays = h.relaysOf();
    if (wall() >= drainEnd || r.sent.every((s) => lastOf(s.id, relays) !== undefined)) break;
    await sleep(100);
  }
  const end = wall();
  stopSampling();
  const cpu = process.cpuUsage(c0);
  const mainMs = mainThreadCpuMs() - main0;
  const relays = h.relaysOf();
  const done: number[] = [];
  const open: number[] = [];
  const finished: number[] = [];
  for (const s of r.sent) {
    const t = lastOf(s.id, relays);
    if (t === undefined) open.push(end - s.t250);
    else {
      done.push(t - s.t250);
      finished.push(t);
    }
  }
  if (process.env.VMTD_BENCH_STEADY_DUMP) {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(process.env.VMTD_BENCH_STEADY_DUMP, JSON.stringify(r.sent.map((s) => ({ id: s.id, at: s.t250 - t0, processed: (h.processedAt.get(s.id) ?? NaN) - s.t250, last: (lastOf(s.id, relays) ?? NaN) - s.t250, steps: h.stepMs.get(s.id) }))));
  }
  // The same without the first 2 s after the daemon started (its code not yet compiled by the JIT, the
  // first reports wait for each other): what a daemon that has been running for a while gives.
  const warmDone: number[] = [];
  const warmOpen: number[] = [];
  for (const s of r.sent) {
    if (s.t250 - t0 < 2000) continue;
    const t = lastOf(s.id, relays);
    if (t === undefined) warmOpen.push(end - s.t250);
    else warmDone.push(t - s.t250);
  }
  const p50 = censoredPct(done, open, 50);
  const p99 = censoredPct(done, open, 99);
  const offered = r.sent.length / seconds;
  // Relayed throughput: reports whose 10 copies were all written within the sending window, per second of it
  // (short of the rate by what arrived in the last p50 or so); and all relayed reports over the time
  // from the start to the last copy written (the rate, when relaying keeps up and the drain is short).
  const inWindow = finished.filter((t) => t <= window).length / ((window - t0) / 1000);
  const overall = finished.length / ((Math.max(window, ...finished) - t0) / 1000);
  const drainMs = finished.length ? Math.max(...finished) - Math.max(...r.sent.map((s) => s.t250)) : NaN;
  const rss = process.resourceUsage().maxRSS * 1024;
  const fmt = (x: { value: number; censored: boolean }): string => `${x.censored ? '>= ' : ''}${ms(x.value)}`;
  const smtp = r.sent.map((s) => s.t250 - s.t0);
  // Where the wait is: 250 → the pipeline committed the report (its relays queued), then → the last copy written.
  const toProcessed: number[] = [];
  const toDelivered: number[] = [];
  for (const s of r.sent) {
    const p = h.processedAt.get(s.id);
    const t = lastOf(s.id, relays);
    if (p === undefined || t === undefined) continue;
    toProcessed.push(p - s.t250);
    toDelivered.push(t - p);
  }
  line('accepted (reports/s over the sending window)', ms(offered, 1));
  line('fully relayed within the window (reports/s)', ms(inWindow, 1));
  line('relayed, start → last copy written (reports/s)', ms(overall, 1));
  line('last report\'s 250 → last copy of any report written (ms)', ms(drainMs));
  line('250 → last of 10 copies written p50 / p99 / max (ms)', `${fmt(p50)} / ${fmt(p99)} / ${ms(Math.max(...done))}`);
  line('  the same for reports sent after the first 2 s, p50 / p99 (ms)', `${fmt(censoredPct(warmDone, warmOpen, 50))} / ${fmt(censoredPct(warmDone, warmOpen, 99))}`);
  line('  of which 250 → processed (relays queued) p50 / p99 (ms)', `${ms(median(toProcessed))} / ${ms(pct(toProcessed, 99))}`);
  line('  of which processed → last copy written p50 / p99 (ms)', `${ms(median(toDelivered))} / ${ms(pct(toDelivered, 99))}`);
  // The pipeline's own time per report, by step (wall time, so waits for the worker count).
  const steps = new Map<string, number[]>();
  for (const s of r.sent) for (const [k, v] of Object.entries(h.stepMs.get(s.id) ?? {})) steps.set(k, [...(steps.get(k) ?? []), v]);
  line('pipeline steps, wall ms p50 each', [...steps].filter(([, v]) => median(v) >= 0.5).map(([k, v]) => `${k} ${ms(median(v), 1)}`).join(', '));
  line('reports decoded ahead in the crypto pool (decode used in turn)', `${h.daemon.pipeline.decodedAhead} of ${r.sent.length}`);
  line('relay sealed in the crypto pool, round trip p50 / p99 (ms)', `${ms(median(sealMs), 1)} / ${ms(pct(sealMs, 99), 1)}`);
  line('SMTP transaction p50 / p99 (ms)', `${ms(median(smtp), 1)} / ${ms(pct(smtp, 99), 1)}`);
  line('outbox depth (queued+sending) each second: max / final', `${Math.max(...depth)} / ${depth.at(-1)}`);
  line('spool backlog (pending) each second: max / final', `${Math.max(...backlog)} / ${backlog.at(-1)}`);
  line('peak RSS of the daemon process (MB)', mb(rss));
  line('CPU of the daemon process, all threads (% of one core)', ms(((cpu.user + cpu.system) / 1000 / 10) / ((end - t0) / 1000)));
  line('CPU per accepted report: all threads / event loop\'s thread (ms)', `${ms((cpu.user + cpu.system) / 1000 / r.sent.length, 1)} / ${ms(mainMs / r.sent.length, 1)}`);
  line('load average (1 min) at the end', loadavg()[0]!.toFixed(2));
  if (r.errors.length || r.deferred) line('errors / deferred', `${r.errors.length} / ${r.deferred}${r.errors.length ? `: ${r.errors.slice(0, 2).join('; ')}` : ''}`);
  if (open.length) line('reports not fully relayed 30 s after the window', String(open.length));
  await h.stop();
  // Keeps up: everything relayed, at the offered rate within 5 %, the last copy within 1 s of the last 250.
  const keepsUp = open.length === 0 && r.errors.length === 0 && r.deferred === 0 && overall >= 0.95 * offered && drainMs <= 1000;
  const rows: Row[] = [
    { figure: `Fixed ${rate}/s for ${seconds} s: accepted / relayed (reports/s); drain after the last 250 (ms)`, value: `${ms(offered, 1)} / ${ms(overall, 1)}; ${ms(drainMs)}`, target: 'keeps up', ok: keepsUp },
    { figure: `Fixed ${rate}/s: DATA end (250) → last copy p50 / p99 (ms)`, value: `${fmt(p50)} / ${fmt(p99)}`, target: 'p99 <= 1000', ok: !p99.censored && p99.value <= 1000 },
    { figure: `Fixed ${rate}/s: outbox depth max / final; peak RSS (MB)`, value: `${Math.max(...depth)} / ${depth.at(-1)}; ${mb(rss)}` },
  ];
  return {
    rows,
    details: { rate, seconds, loadavg: loadavg(), afterFirst2s: { p50: censoredPct(warmDone, warmOpen, 50), p99: censoredPct(warmDone, warmOpen, 99) }, toProcessedP50: median(toProcessed), toProcessedP99: pct(toProcessed, 99), toDeliveredP50: median(toDelivered), toDeliveredP99: pct(toDelivered, 99), accepted: r.sent.length, relayedInWindowPerSecond: inWindow, relayedPerSecond: overall, drainMs, p50, p99, maxMs: Math.max(...done), unfinished: open.length, smtpP50: median(smtp), outboxDepth: depth, spoolBacklog: backlog, peakRssMb: rss / 2 ** 20, errors: r.errors.length, deferred: r.deferred },
  };
}
