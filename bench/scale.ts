// Scale scenario (issue 16, "cost grows as it should"): a team's database after three years —
// 10,000 cases (~500 open), ~100,000 events, a few hundred projects (bench/scale-data.ts) — and
// what the daemon and the console do with it: one planner pass as the daemon runs it (deadlines,
// plan, notices, security.txt, key alerts, then the calendar catch-up), the pass with the daily
// digest, `vmtd case list`, `vmtd project show`, a /metrics scrape. Medians of several runs.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { caseCommand } from '../src/cli/case.js';
import { projectCommand } from '../src/cli/project.js';
import { parseConfig } from '../src/config/load.js';
import { startEngine } from '../src/daemon.js';
import { syncCalendars } from '../src/jobs/calendar-sync.js';
import { runPlanner } from '../src/jobs/run-planner.js';
import { createLogger } from '../src/log.js';
import { startMetrics } from '../src/metrics.js';
import type { Db } from '../src/store/db.js';
import { buildScaleDb, type ScaleCounts } from './scale-data.js';
import { median, ms, quick, writeBenchConfig, type KeyCache } from './lib.js';
import type { Row, ScenarioResult } from './scenarios.js';

const line = (label: string, value: string): void => console.log(`  ${label.padEnd(62)} ${value}`);

/** CPU time (user + system) of this process, per run: less at the mercy of the machine's other load than the wall time. */
const cpuOf = new WeakMap<number[], number[]>();

async function timed(runs: number, f: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const c = process.cpuUsage();
    await f();
    const u = process.cpuUsage(c);
    out.push(performance.now() - t);
    cpu.push((u.user + u.system) / 1000);
  }
  cpuOf.set(out, cpu);
  return out;
}

/** "wall (cpu)" medians of a timed run. */
const both = (xs: number[]): string => `${ms(median(xs), 1)} (cpu ${ms(median(cpuOf.get(xs) ?? []), 1)})`;

function scrape(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path: '/metrics' }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => (res.statusCode === 200 ? resolve(text) : reject(new Error(`/metrics answered ${res.statusCode}`))));
    }).on('error', reject);
  });
}

/** Row counts of a reused database. */
function counts(db: Db): ScaleCounts {
  const n = (table: string): number => (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
  const open = (db.prepare("SELECT COUNT(*) AS n FROM cases WHERE state IN ('new', 'triaged', 'accepted', 'scheduled')").get() as { n: number }).n;
  return { cases: n('cases'), open, members: n('members'), messages: n('messages'), events: n('events'), notices: n('notices'), outbox: n('outbox'), spool: n('spool'), advisories: n('advisories'), projects: n('projects') };
}

/** The scale scenario: build the database, then time each reader; rows with their targets. */
export async function scale(keys: KeyCache): Promise<ScenarioResult> {
  const cases = Number(process.env.VMTD_BENCH_SCALE_CASES ?? 10_000);
  console.log(`\n# Scale (issue 16): ${cases.toLocaleString('en')} cases, a few hundred projects, as after three years`);
  // VMTD_BENCH_SCALE_DIR keeps the database there and reuses it on the next run (for profiling).
  const keep = process.env.VMTD_BENCH_SCALE_DIR;
  const reuse = keep !== undefined && existsSync(join(keep, 'vmtd.yaml'));
  if (keep) mkdirSync(keep, { recursive: true });
  const dir = keep ?? mkdtempSync(join(tmpdir(), 'vmtd-bench-scale-'));
  const file = reuse ? join(dir, 'vmtd.yaml') : writeBenchConfig(dir, keys, { coordinators: 2, projectContacts: 0, stakeholder: true });
  const config = parseConfig(readFileSync(file, 'utf8'), file);
  const engine = await startEngine(config, () => new Date(), createLogger('silent'));
  const { db, sealer } = engine.ctx;
  const yaml = readFileSync(fileURLToPath(new URL('../../test/fixtures/advisories/minimal.yaml', import.meta.url)), 'utf8');
  const t0 = performance.now();
  const options = {
    cases,
    open: Math.round(cases / 20),
    projects: Math.max(10, Math.round(cases / 33)),
    coordinators: config.coordinators.map((c) => ({ email: c.email.toLowerCase(), name: c.name })),
    stakeholder: 'distros',
    maxEmbargoDays: config.policy.maxEmbargoDays,
    reminderDays: config.policy.reminderDays,
    advisoryYaml: yaml,
  };
  const built = reuse ? counts(db) : buildScaleDb(db, sealer, Date.now(), options);
  db.pragma('wal_checkpoint(TRUNCATE)');
  const buildMs = performance.now() - t0;
  line(reuse ? `reused ${dir} (ms)` : 'built (ms)', `${ms(buildMs)}  ${JSON.stringify(built)}`);
  const runs = quick ? 3 : 7;

  // The pass as the daemon runs it (jobs/cron.ts): the planner, then the calendar catch-up.
  const pass = async (digest: boolean): Promise<void> => {
    await runPlanner(engine.ctx, { digest });
    await syncCalendars(engine.ctx);
  };
  const tf = performance.now();
  const first = await runPlanner(engine.ctx);
  const firstCalendars = await syncCalendars(engine.ctx);
  const firstMs = performance.now() - tf;
  line('first pass (catch-up after the build) (ms)', `${ms(firstMs)}  (${first.due} actions, ${first.sent.length} sent, ${firstCalendars} calendar updates)`);
  await pass(false); // warm
  const passes = await timed(runs, () => pass(false));
  const due = (await runPlanner(engine.ctx)).due;
  line('steady pass, nothing changed since the last, median (cpu) / max (ms)', `${both(passes)} / ${ms(Math.max(...passes), 1)}  (${due} actions due)`);
  // A pass reads the database again only when it changed since the last one read it (planReads):
  // under mail, every pass does. Here one open case is touched before each pass.
  const touch = db.prepare("UPDATE cases SET updated_at = ? WHERE id = (SELECT id FROM cases WHERE state = 'new' ORDER BY id LIMIT 1)");
  const changed = await timed(runs, async () => {
    touch.run(new Date().toISOString());
    await pass(false);
  });
  line('pass after a case changed, median (cpu) / max (ms)', `${both(changed)} / ${ms(Math.max(...changed), 1)}`);

  // The digest pass: each run composes the coordinators' digests anew (the day's claim removed).
  let digestItems = 0;
  const digests = await timed(quick ? 2 : 5, async () => {
    db.prepare("DELETE FROM notices WHERE kind = 'digest'").run();
    const s = await runPlanner(engine.ctx, { digest: true });
    await syncCalendars(engine.ctx);
    digestItems = s.sent.filter((k) => k.startsWith('digest:')).length;
  });
  line('pass with the daily digest, median (cpu) (ms)', `${both(digests)}  (${digestItems} digests composed)`);

  // The console reads (in process: what `vmtd case list` / `vmtd project show` do after Node starts).
  let listBytes = 0;
  const env = (args: string[], values: Record<string, boolean> = {}) => {
    listBytes = 0;
    return { config, clock: () => new Date(), args, values, out: (s: string) => void (listBytes += s.length) };
  };
  const caseList = await timed(runs, () => caseCommand(env(['list'])));
  line('vmtd case list, median (cpu) (ms)', `${both(caseList)}  (${listBytes} bytes)`);
  const caseListJson = await timed(runs, () => caseCommand(env(['list'], { json: true })));
  line('vmtd case list --json, median (cpu) (ms)', `${both(caseListJson)}  (${listBytes} bytes)`);
  const busiest = (db.prepare('SELECT project_id AS id, COUNT(*) AS n FROM case_projects GROUP BY project_id ORDER BY n DESC LIMIT 1').get() as { id: string; n: number });
  const projectShow = await timed(runs, () => projectCommand(env(['show', busiest.id])));
  line(`vmtd project show (busiest: ${busiest.id}, ${busiest.n} cases), median (cpu) (ms)`, both(projectShow));

  const metrics = await startMetrics({ ...engine.ctx, config: { ...config, metrics: { ...config.metrics, host: '127.0.0.1', port: 0 } } }, { startedAt: Date.now(), pipelineProgress: () => Date.now(), schedulerLastRun: () => Date.now(), imap: () => [] });
  let scrapeBytes = 0;
  await scrape(metrics.port);
  const scrapes = await timed(runs, async () => (scrapeBytes = (await scrape(metrics.port)).length));
  line('GET /metrics, median (cpu) (ms)', `${both(scrapes)}  (${scrapeBytes} bytes)`);
  await metrics.stop();
  await engine.stop();
  if (!keep) rmSync(dir, { recursive: true, force: true });

  const n = cases.toLocaleString('en');
  const row = (figure: string, xs: number[], target: number): Row => ({ figure, value: both(xs), target: `<= ${target}`, ok: median(xs) <= target });
  return {
    rows: [
      row(`Scale: planner pass + calendar catch-up, ${n} cases (ms, median)`, passes, 50),
      row(`Scale: the same after a case changed, ${n} cases (ms, median)`, changed, 50),
      row(`Scale: pass with the daily digest, ${n} cases (ms, median)`, digests, 500),
      row(`Scale: vmtd case list, ${n} cases (ms, median, in process)`, caseList, 1000),
      row(`Scale: vmtd project show, busiest of ${built.projects} projects (ms, median)`, projectShow, 50),
      row(`Scale: GET /metrics, ${n} cases (ms, median)`, scrapes, 50),
    ],
    details: { loadavg: loadavg(), cpuMs: { passes: cpuOf.get(passes), changedPasses: cpuOf.get(changed), digests: cpuOf.get(digests), caseList: cpuOf.get(caseList), projectShow: cpuOf.get(projectShow), scrapes: cpuOf.get(scrapes) }, built, buildMs, firstPassMs: firstMs, firstPassDue: first.due, passesMs: passes, changedPassesMs: changed, digestPassesMs: digests, caseListMs: caseList, caseListJsonMs: caseListJson, projectShowMs: projectShow, busiest, scrapeMs: scrapes },
  };
}
