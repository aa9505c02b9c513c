// `npm run bench`: the figures issues 2, 3, 6, 8 and 16 ask for, measured on this machine, printed
// as a table and written to bench/results.json; the cost curve (members × size) also as
// dist/bench/curve.json and the plot dist/bench/curve.svg. Timing never decides a test. Each
// scenario runs in a fresh process (its own peak RSS); SMTP load comes from another child process.
// `npm run bench -- --help` prints this.
//   VMTD_BENCH_QUICK=1      a ~1-minute smoke run (shorter windows, a 6 MB instead of 25 MB report)
//   VMTD_BENCH_SECONDS=N    length of the sustained-load window (default 60)
//   VMTD_BENCH_ONLY=a,b     run only these scenarios (idle, greeting, planner, relay, intake, endToEnd, curve, bigReport, sustained, steady)
//   VMTD_BENCH_RATE=N       reports/s of the fixed-rate scenario `steady` (default 20); VMTD_BENCH_STEADY_SECONDS=N its length (default 20)
//   VMTD_BENCH_E2E=TEXT     endToEnd: only the rows whose label contains TEXT (e.g. "1 MiB"); VMTD_BENCH_E2E_COUNT=N reports per row
//   VMTD_BENCH_CURVE=10x1000000,50x10000  only these cells of the curve (MEMBERSxBYTES); VMTD_BENCH_CURVE_RUNS=N runs per cell
//   VMTD_BENCH_PROF=DIR     write a CPU profile (--cpu-prof) of each scenario process into DIR
//   VMTD_BENCH_TRACE_GC=1   run the scenario processes with --trace-gc
//   VMTD_BENCH_FUZZ=1       also run test/fuzz with 100,000 executions (two shards, ~15 min here; not in the default run)
import { fork, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { memberKeys, quick, wall } from './lib.js';
import type { Row, ScenarioResult } from './scenarios.js';

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  // The switches are this file's header comment.
  const { readFileSync } = await import('node:fs');
  const src = readFileSync(fileURLToPath(new URL('../../bench/run.ts', import.meta.url)), 'utf8');
  console.log(src.split('\n').filter((l) => l.startsWith('//')).map((l) => l.slice(3)).join('\n'));
  process.exit(0);
}

const order = ['idle', 'greeting', 'planner', 'relay', 'intake', 'endToEnd', 'curve', 'bigReport', 'sustained', 'steady', 'scale'];
const only = process.env.VMTD_BENCH_ONLY?.split(',').map((s) => s.trim());
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

// The scenarios run the daemon in their own process: with the environment `npm start` and the
// systemd unit give it (package.json, systemd/vmtd.service), unless the caller set its own.
const DAEMON_ENV = { MALLOC_MMAP_THRESHOLD_: process.env.MALLOC_MMAP_THRESHOLD_ ?? '131072' };

function runScenario(name: string): Promise<ScenarioResult> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(new URL('./scenario.js', import.meta.url)), [name], { execArgv: ['--expose-gc', ...(process.env.VMTD_BENCH_TRACE_GC ? ['--trace-gc'] : []), ...(process.env.VMTD_BENCH_PROF ? ['--cpu-prof', '--cpu-prof-dir=' + process.env.VMTD_BENCH_PROF] : [])], stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: { ...process.env, ...DAEMON_ENV } });
    let result: ScenarioResult | undefined;
    child.on('message', (m: ScenarioResult) => (result = m));
    child.on('exit', (code) => (result && code === 0 ? resolve(result) : reject(new Error(`scenario ${name} exited with ${code}`))));
  });
}

/** One fuzz shard: test/fuzz with its own seed and count; its tap output. */
function fuzzShard(execs: number, seed: number): Promise<{ code: number | null; text: string }> {
  return new Promise((resolve) => {
    const p = spawn('npx', ['tap', '--disable-coverage', '-t0', 'test/fuzz'], { cwd: repoRoot, env: { ...process.env, VMTD_FUZZ_EXECS: String(execs), VMTD_FUZZ_SEED: String(seed) } });
    let text = '';
    p.stdout.on('data', (d: Buffer) => (text += d.toString()));
    p.stderr.on('data', (d: Buffer) => (text += d.toString()));
    p.on('exit', (code) => {
      writeFileSync(fileURLToPath(new URL(`../../bench/.cache/fuzz-${seed}.log`, import.meta.url)), text);
      resolve({ code, text });
    });
  });
}

/**
 * The fuzz target of issue 8 with 100,000 executions, when asked for: two shards with their own
 * seeds, one per core (~15 min here).
 */
async function fuzz(): Promise<ScenarioResult> {
  const note = (value: string): ScenarioResult => ({ rows: [{ figure: 'Fuzz, 100,000 executions', value }], details: { run: false, note: value } });
  if (!existsSync(`${repoRoot}test/fuzz`)) return note('not run (test/fuzz does not exist)');
  if (process.env.VMTD_BENCH_FUZZ !== '1') {
    console.log('\n# Fuzz (issue 8)\n  fuzz: not run — 100,000 executions take ~15 min here; set VMTD_BENCH_FUZZ=1 to include it');
    return note('not run (VMTD_BENCH_FUZZ=1 runs it, ~15 min)');
  }
  const seeds = [20261124, 20261125];
  console.log(`\n# Fuzz (issue 8): 2 shards of 50,000 executions (seeds ${seeds.join(', ')}), VMTD_FUZZ_EXECS=50000 npx tap --disable-coverage -t0 test/fuzz`);
  const t0 = wall();
  const shards = await Promise.all(seeds.map((seed) => fuzzShard(50_000, seed)));
  const seconds = (wall() - t0) / 1000;
  let executions = 0;
  let failed = 0;
  for (const out of shards) {
    const m = /(\d+) executions in ([\d.]+) s/.exec(out.text);
    executions += m ? Number(m[1]) : 0;
    // The innermost `not ok` lines are the failed assertions (their subtest and file fail with them).
    failed += (out.text.match(/^ {8}not ok /gm) ?? []).length;
    const slowest = /slowest execution (\d+) ms/.exec(out.text)?.[1];
    const peak = /peak RSS (\d+) MB/.exec(out.text)?.[1];
    console.log(`  shard: ${m ? `${m[1]} execs in ${m[2]} s` : `did not report (exit ${out.code})`}; slowest ${slowest ?? '?'} ms; peak RSS ${peak ?? '?'} MB (output in bench/.cache/fuzz-SEED.log)`);
  }
  const ok = shards.every((o) => o.code === 0) && failed === 0 && executions >= 100_000;
  const value = `${executions} execs in ${seconds.toFixed(0)} s (${(executions / seconds).toFixed(0)}/s), ${failed} failed assertions`;
  console.log(`  ${value}`);
  return { rows: [{ figure: 'Fuzz, 100,000 executions', value, target: '0 crashes', ok }], details: { run: true, executions, failed, seconds } };
}

const started = wall();
const cpu = cpus();
console.log(`vmtd benchmark ${new Date().toISOString()}${quick ? ' (QUICK run)' : ''}`);
console.log(`machine: ${cpu.length} cores (${cpu[0]?.model ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(1)} GB RAM, Node ${process.version}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log('The machine is shared: other processes compete for the 2 cores; figures are noisy.');
await memberKeys((s) => console.log(s));

const results: Record<string, ScenarioResult | { error: string }> = {};
const rows: Row[] = [];
for (const name of order) {
  if (only && !only.includes(name)) continue;
  try {
    const r = await runScenario(name);
    results[name] = r;
    rows.push(...r.rows);
  } catch (err) {
    results[name] = { error: (err as Error).message };
    rows.push({ figure: `${name}: FAILED`, value: (err as Error).message });
  }
}
if (!only || only.includes('fuzz')) {
  const f = await fuzz();
  results.fuzz = f;
  rows.push(...f.rows);
}

const w = Math.max(...rows.map((r) => r.figure.length));
const v = Math.max(...rows.map((r) => r.value.length), 8);
console.log(`\n# Summary${quick ? ' (QUICK run: shorter windows, smaller big report)' : ''}\n`);
console.log(`  ${'figure'.padEnd(w)}  ${'measured'.padStart(v)}  ${'target'.padEnd(14)} verdict`);
console.log(`  ${'-'.repeat(w)}  ${'-'.repeat(v)}  ${'-'.repeat(14)} -------`);
for (const r of rows) console.log(`  ${r.figure.padEnd(w)}  ${r.value.padStart(v)}  ${(r.target ?? '').padEnd(14)} ${r.ok === undefined ? '' : r.ok ? 'meets' : 'MISSES'}`);
console.log(`\nload average at the end ${loadavg().map((l) => l.toFixed(2)).join(' ')}; bench took ${((wall() - started) / 1000).toFixed(0)} s`);

const file = fileURLToPath(new URL('../../bench/results.json', import.meta.url));
writeFileSync(file, JSON.stringify({ at: new Date().toISOString(), quick, machine: { cores: cpu.length, model: cpu[0]?.model, node: process.version, loadavg: loadavg() }, rows, results }, null, 2) + '\n');
console.log(`results written to ${file}`);
