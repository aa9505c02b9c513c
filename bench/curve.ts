// The greeting figure and the cost curve (issue 16): SMTP connect → 220, and SMTP connect → last
// relayed copy written, for 1, 10, 50 and 200 members and reports of 10 KB, 1 MB, 10 MB and 25 MB.
// The curve is printed as a table and written as JSON and as an SVG plot under dist/bench/.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Sender, startHarness } from './harness.js';
import { median, ms, pct, quick, sizedEntity, wall, type KeyCache } from './lib.js';
import { svg } from './plot.js';
import type { Row, ScenarioResult } from './scenarios.js';

const line = (label: string, value: string): void => console.log(`  ${label.padEnd(62)} ${value}`);
const sleep = (t: number): Promise<void> => new Promise((r) => setTimeout(r, t));
const gc = (): void => (globalThis as { gc?: () => void }).gc?.();
export const outDir = fileURLToPath(new URL('./', import.meta.url)); // dist/bench/

async function until(cond: () => boolean, timeoutMs: number, stepMs = 5): Promise<boolean> {
  const end = wall() + timeoutMs;
  while (!cond()) {
    if (wall() > end) return false;
    await sleep(stepMs);
  }
  return true;
}

/** SMTP connect → first line of the 220 greeting, connections one after another (issue 16). */
export async function greeting(keys: KeyCache): Promise<ScenarioResult> {
  const n = quick ? 20 : 100;
  console.log(`\n# SMTP greeting (issue 16): ${n} connections in turn from 127.0.0.1, connect → 220`);
  const h = await startHarness(keys, { coordinators: 2, projectContacts: 0 });
  const sender = new Sender();
  sender.send({ type: 'greeting', port: h.daemon.smtp.port, count: n });
  const r = await sender.next('greeting-done');
  await h.stop();
  line('TCP connect (ms), p50 / p99', `${ms(median(r.connectMs), 2)} / ${ms(pct(r.connectMs, 99), 2)}`);
  line('connect → 220 greeting (ms), p50 / p99 / max', `${ms(median(r.greetingMs), 2)} / ${ms(pct(r.greetingMs, 99), 2)} / ${ms(Math.max(...r.greetingMs), 2)}`);
  const p50 = median(r.greetingMs);
  return {
    rows: [{ figure: 'SMTP connect → 220 greeting, p50 / p99 (ms)', value: `${ms(p50, 1)} / ${ms(pct(r.greetingMs, 99), 1)}`, target: 'p50 <= 5', ok: p50 <= 5 }],
    details: { n, connectMs: r.connectMs, greetingMs: r.greetingMs, p50, p99: pct(r.greetingMs, 99) },
  };
}

const MEMBERS = [1, 10, 50, 200];
const SIZES = [10_000, 1_000_000, 10_000_000, 25_000_000];
const sizeLabel = (b: number): string => (b >= 1e6 ? `${+(b / 1e6).toFixed(1)} MB` : `${+(b / 1e3).toFixed(0)} KB`);

/** Runs per cell: many small, few large (a 25 MB report to 200 members writes 200 × 34 MB). */
function runsFor(bytes: number, members: number): number {
  if (quick) return bytes >= 25e6 ? 0 : bytes >= 10e6 ? (members >= 200 ? 0 : 1) : 3;
  const only = process.env.VMTD_BENCH_CURVE_RUNS;
  if (only) return Number(only);
  return bytes >= 10e6 ? (members >= 200 ? 1 : 2) : bytes >= 1e6 ? 5 : 7;
}

export interface Cell {
  members: number;
  bytes: number;
  wireBytes: number;
  runs: number;
  /** SMTP connect → last relayed copy written (ms), per run. */
  totalMs: number[];
  /** SMTP connect → 250. */
  smtpMs: number[];
  /** 250 → case row committed (decode, compose, sign, encrypt, store). */
  processMs: number[];
  /** Case row → last copy written (materialize, armor, write, fsync per copy). */
  deliverMs: number[];
  /** Longest event-loop stall in the daemon process during the run (ms). */
  maxStallMs: number[];
  /** Per processing step (src/intake/process.ts), its median wall time (ms). */
  stepsMs: Record<string, number>;
}

/**
 * SMTP connect → last relayed copy in the maildir, one report at a time on a new connection, for
 * each member count and size (issue 16's curve): one daemon per member count, `runsFor` reports
 * per size, each a fresh encryption (a ciphertext is relayed once).
 */
export async function curve(keys: KeyCache): Promise<ScenarioResult> {
  console.log(`\n# Cost curve (issue 16): SMTP connect → last relayed copy written, one report at a time, new connection each${quick ? ' (QUICK: no 25 MB, no 10 MB × 200)' : ''}`);
  // VMTD_BENCH_CURVE=10x1000000,50x10000: only these cells (any member count and size).
  const filter = process.env.VMTD_BENCH_CURVE?.split(',').map((s) => s.trim().split('x').map(Number) as [number, number]);
  const cells: Cell[] = [];
  for (const members of filter ? [...new Set(filter.map(([m]) => m))] : MEMBERS) {
    const todo = filter ? filter.filter(([m]) => m === members).map(([, b]) => b) : SIZES.filter((b) => runsFor(b, members) > 0);
    if (todo.length === 0) continue;
    const coordinators = Math.min(2, members);
    const h = await startHarness(keys, { coordinators, projectContacts: members - coordinators });
    const sender = new Sender();
    const outgoing = join(h.dir, 'outgoing', 'new');
    const hist = monitorEventLoopDelay({ resolution: 5 });
    hist.enable();
    for (const bytes of todo) {
      const cell: Cell = { members, bytes, wireBytes: 0, runs: runsFor(bytes, members), totalMs: [], smtpMs: [], processMs: [], deliverMs: [], maxStallMs: [], stepsMs: {} };
      const steps: Array<Record<string, number>> = [];
      const entity = sizedEntity(bytes);
      // The first report of a size warms up (JIT, the signing worker, key caches) and is not
      // counted; the 25 MB one comes after the 10 MB one, warm already.
      const warmUp = bytes >= 25e6 && todo.some((b) => b >= 10e6 && b < bytes) ? 0 : 1;
      for (let run = 1 - warmUp; run < cell.runs + 1; run++) {
        gc();
        await sleep(100);
        hist.reset();
        const r = await sender.load({ type: 'load', port: h.daemon.smtp.port, senders: 1, ms: 0, count: 1, prepare: 1, connectEach: true, entity, teamKey: h.teamKey, tag: `c${members}x${bytes}x${run}` });
        const s = r.sent[0];
        if (!s) throw new Error(`curve ${members}×${sizeLabel(bytes)}: not accepted: ${r.errors.join('; ')}`);
        const ok = await until(() => {
          const ids = h.relaysOf().get(s.id) ?? [];
          return ids.length === members && ids.every((id) => h.deliveredAt.has(id));
        }, 600_000, bytes >= 1e6 ? 20 : 2);
        if (!ok) throw new Error(`curve ${members}×${sizeLabel(bytes)}: not relayed to ${members} members within 10 min`);
        const ids = h.relaysOf().get(s.id)!;
        const last = Math.max(...ids.map((id) => h.deliveredAt.get(id)!));
        const tCase = h.processedAt.get(s.id)!;
        if (run > 0) {
          cell.totalMs.push(last - s.t0);
          cell.smtpMs.push(s.t250 - s.t0);
          cell.processMs.push(tCase - s.t250);
          cell.deliverMs.push(last - tCase);
          cell.maxStallMs.push(hist.max / 1e6);
          steps.push(h.stepMs.get(s.id) ?? {});
        }
        for (const f of readdirSync(outgoing)) rmSync(join(outgoing, f), { force: true });
      }
      cell.wireBytes = Buffer.byteLength(entity) * 1.39; // about: armored, as sent
      for (const name of Object.keys(steps[0] ?? {})) cell.stepsMs[name] = median(steps.map((x) => x[name] ?? 0));
      cells.push(cell);
      line(
        `${String(members).padStart(3)} members, ${sizeLabel(bytes).padStart(5)}: total p50 (ms) [smtp / process / deliver]; max stall`,
        `${ms(median(cell.totalMs))} [${ms(median(cell.smtpMs))} / ${ms(median(cell.processMs))} / ${ms(median(cell.deliverMs))}]; ${ms(Math.max(...cell.maxStallMs))}`,
      );
      const slow = Object.entries(cell.stepsMs).filter(([, v]) => v >= 1).sort((a, b) => b[1] - a[1]);
      line('    processing steps, median (ms)', slow.map(([k, v]) => `${k} ${ms(v)}`).join(', '));
    }
    hist.disable();
    await h.stop();
  }
  printTable(cells);
  const files = writeCurve(cells);
  line('curve written to', files.join(', '));
  const rows: Row[] = [];
  const cell = (m: number, b: number): Cell | undefined => cells.find((c) => c.members === m && c.bytes === b);
  const targets: Array<[number, number, number]> = [
    [10, 10_000, 70],
    [50, 10_000, 240],
    [10, 1_000_000, 190],
  ];
  for (const [m, b, t] of targets) {
    const c = cell(m, b);
    if (c) rows.push({ figure: `Connect → last copy, ${m} members, ${sizeLabel(b)} (ms, median)`, value: ms(median(c.totalMs)), target: `<= ${t}`, ok: median(c.totalMs) <= t });
  }
  for (const c of cells) if (!targets.some(([m, b]) => m === c.members && b === c.bytes)) rows.push({ figure: `Connect → last copy, ${c.members} members, ${sizeLabel(c.bytes)} (ms, median)`, value: ms(median(c.totalMs)) });
  return { rows, details: { cells: cells.map((c) => ({ ...c, medianMs: median(c.totalMs) })) } };
}

function printTable(cells: Cell[]): void {
  const members = [...new Set(cells.map((c) => c.members))];
  const sizes = [...new Set(cells.map((c) => c.bytes))].sort((a, b) => a - b);
  const get = (m: number, b: number): string => {
    const c = cells.find((x) => x.members === m && x.bytes === b);
    return c ? `${ms(median(c.totalMs))} ms` : '—';
  };
  console.log('\n  connect → last relayed copy written, median (ms)');
  console.log(`  ${'members'.padStart(8)}${sizes.map((b) => sizeLabel(b).padStart(12)).join('')}`);
  for (const m of members) console.log(`  ${String(m).padStart(8)}${sizes.map((b) => get(m, b).padStart(12)).join('')}`);
}

/** Writes dist/bench/curve.json and dist/bench/curve.svg; returns their paths. */
export function writeCurve(cells: Cell[]): string[] {
  mkdirSync(outDir, { recursive: true });
  const json = join(outDir, 'curve.json');
  const plot = join(outDir, 'curve.svg');
  writeFileSync(json, JSON.stringify({ at: new Date().toISOString(), quick, cells: cells.map((c) => ({ ...c, medianMs: median(c.totalMs) })) }, null, 2) + '\n');
  const sizes = [...new Set(cells.map((c) => c.bytes))].sort((a, b) => a - b);
  const members = [...new Set(cells.map((c) => c.members))].sort((a, b) => a - b);
  const byMembers = {
    title: 'Connect → last relayed copy, by members',
    xLabel: 'members (log scale)',
    yLabel: 'median time (log scale)',
    xLog: true,
    yLog: true,
    xTicks: members,
    series: sizes.map((b) => ({ name: sizeLabel(b), points: cells.filter((c) => c.bytes === b).map((c) => [c.members, median(c.totalMs)] as [number, number]) })),
  };
  const bySize = {
    title: 'Connect → last relayed copy, by size',
    xLabel: 'report size (log scale)',
    yLabel: 'median time (log scale)',
    xLog: true,
    yLog: true,
    xTicks: sizes,
    xTickLabel: sizeLabel,
    series: members.map((m) => ({ name: `${m} member${m === 1 ? '' : 's'}`, points: cells.filter((c) => c.members === m).map((c) => [c.bytes, median(c.totalMs)] as [number, number]) })),
  };
  writeFileSync(plot, svg([byMembers, bySize], `vmtd npm run bench ${new Date().toISOString().slice(0, 16)}${quick ? ' (quick)' : ''}: SMTP connect → last relayed copy fsynced in the maildir, median of runs; 2-core shared machine`));
  return [json, plot];
}
