import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTask } from 'node-cron';
import { Gauge, Registry } from 'prom-client';
import type { Vmtd } from './context.js';
import { processRegistry } from './counters.js';
import { caseStateCounts, longestDueMail, oldestWaitingMail, outboxDepth, outboxStateCounts, spoolGaugeFacts } from './store/metrics-facts.js';

/** What the loops tell about themselves (clock times in ms; 0 until it first happened). */
export interface LoopProbes {
  /** When the daemon started: the loops' grace period is counted from here. */
  startedAt: number;
  /** The spool pipeline's last finished row. */
  pipelineProgress(): number;
  /** The last completed planner pass. */
  schedulerLastRun(): number;
  /** Each IMAP mailbox, and whether it is connected with the mailbox open. */
  imap(): Array<{ account: string; connected: boolean }>;
}

/**
 * When /healthz calls a loop stuck. The pipeline: a message has waited longer than
 * `pipelineStuckMs` and no row was finished in that time either (a long backlog being worked is
 * not stuck). The outbox: a queued mail has been due for longer than `outboxStuckMs` (the worker
 * takes due mail within 30 s; deferred mail waiting for its retry time is not stuck). The
 * scheduler: no pass completed for `schedulerStaleMs`.
 */
export interface HealthThresholds {
  pipelineStuckMs: number;
  outboxStuckMs: number;
  schedulerStaleMs: number;
}

const MINUTE = 60_000;

/**
 * The scheduler's threshold for a tick expression: three tick intervals, at least 15 minutes
 * (the default tick runs every minute; a pass also follows every processed message).
 */
export function schedulerStaleMs(tick: string, timezone: string): number {
  const task = createTask(tick, () => {}, { timezone });
  try {
    const runs = task.getNextRuns(4).map((d) => d.getTime());
    const gap = Math.max(0, ...runs.slice(1).map((t, i) => t - runs[i]!));
    return Math.max(15 * MINUTE, 3 * gap);
  } finally {
    void task.destroy();
  }
}

/** The thresholds for a configuration (documented in README "Production setup"). */
export function healthThresholds(config: Vmtd['config']): HealthThresholds {
  return { pipelineStuckMs: 10 * MINUTE, outboxStuckMs: 10 * MINUTE, schedulerStaleMs: schedulerStaleMs(config.schedule.tick, config.schedule.timezone) };
}

/** /healthz's answer: ok, or the reasons it is not (facts only: IDs, times, counts, error codes). */
export interface Health {
  ok: boolean;
  reasons: string[];
}

const ageMs = (now: Date, at: string | null): number => (at ? Math.max(0, now.getTime() - Date.parse(at)) : 0);

/** Whether the pipeline, the outbox and the scheduler are moving, from the database and the probes at `now`. */
export function health(ctx: Pick<Vmtd, 'db'>, probes: LoopProbes, now: Date, limits: HealthThresholds): Health {
  const reasons: string[] = [];
  const since = (t: number): number => now.getTime() - Math.max(t, probes.startedAt);
  const spool = spoolGaugeFacts(ctx.db);
  if (spool.pending > 0 && ageMs(now, spool.oldestPendingAt) > limits.pipelineStuckMs && since(probes.pipelineProgress()) > limits.pipelineStuckMs) {
    reasons.push(`pipeline stuck: ${spool.pending} message(s) pending, the oldest received ${spool.oldestPendingAt}, none processed for ${Math.round(since(probes.pipelineProgress()) / 1000)} s`);
  }
  const due = longestDueMail(ctx.db, now.toISOString());
  if (due && ageMs(now, due.dueSince) > limits.outboxStuckMs) {
    reasons.push(`outbox stuck: outbox #${due.id} due since ${due.dueSince} (${due.attempts} attempt(s)${due.lastError ? `, last error: ${due.lastError}` : ''})`);
  }
  if (since(probes.schedulerLastRun()) > limits.schedulerStaleMs) {
    reasons.push(`scheduler: no planner pass for ${Math.round(since(probes.schedulerLastRun()) / 1000)} s (limit ${limits.schedulerStaleMs / 1000} s)`);
  }
  return { ok: reasons.length === 0, reasons };
}

/** The scrape-time gauges of one daemon, in their own registry; values are read from the database when scraped. */
function gauges(ctx: Pick<Vmtd, 'db' | 'clock'>, probes: LoopProbes): Registry {
  const registry = new Registry();
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[], collect: (g: Gauge<L>) => void): Gauge<L> =>
    new Gauge<L>({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset(); // a state with no rows any more is dropped, not left at its last value
        collect(this);
      },
    });
  gauge('vmtd_spool_backlog', 'Spooled messages waiting for processing', [], (g) => g.set(spoolGaugeFacts(ctx.db).pending));
  gauge('vmtd_spool_oldest_pending_age_seconds', 'Age of the oldest message waiting for processing (0 when none)', [], (g) => g.set(Math.floor(ageMs(ctx.clock(), spoolGaugeFacts(ctx.db).oldestPendingAt) / 1000)));
  gauge('vmtd_spool_quarantined', 'Messages in quarantine now', [], (g) => g.set(spoolGaugeFacts(ctx.db).quarantined));
  gauge('vmtd_outbox', 'Outgoing mails by state (queued, sending, sent, failed)', ['state'], (g) => outboxStateCounts(ctx.db).forEach((r) => g.set({ state: r.state }, r.n)));
  gauge('vmtd_outbox_depth', 'Mail waiting for delivery (queued or sending)', [], (g) => g.set(outboxDepth(ctx.db)));
  gauge('vmtd_outbox_oldest_age_seconds', 'Age of the oldest mail waiting for delivery (0 when none)', [], (g) => g.set(Math.floor(ageMs(ctx.clock(), oldestWaitingMail(ctx.db)?.createdAt ?? null) / 1000)));
  gauge('vmtd_cases', 'Cases by state', ['state'], (g) => caseStateCounts(ctx.db).forEach((r) => g.set({ state: r.state }, r.n)));
  gauge('vmtd_scheduler_last_run_timestamp_seconds', 'When the last planner pass completed (Unix time; 0: none yet)', [], (g) => g.set(Math.floor(probes.schedulerLastRun() / 1000)));
  gauge('vmtd_imap_connected', 'Whether each IMAP mailbox is connected and open (1) or not (0)', ['mailbox'], (g) => probes.imap().forEach((m) => g.set({ mailbox: m.account }, m.connected ? 1 : 0)));
  return registry;
}

/**
 * Serves GET /metrics (Prometheus text: vmtd's counters, the gauges read at scrape time, process
 * and event-loop metrics; counts and times only, never content) and GET /healthz (200 `{"ok":true}`,
 * or 503 with the reasons) on metrics.host:port (loopback by default).
 */
export async function startMetrics(ctx: Pick<Vmtd, 'config' | 'db' | 'clock' | 'log'>, probes: LoopProbes): Promise<{ port: number; stop(): Promise<void> }> {
  const registry = Registry.merge([processRegistry, gauges(ctx, probes)]);
  const limits = healthThresholds(ctx.config);
  const fail = (res: ServerResponse, err: unknown): void => {
    ctx.log.error({ err: (err as Error).message }, 'metrics: reading the facts failed');
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
    res.end('internal error\n');
  };
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' || (path !== '/metrics' && path !== '/healthz')) {
      res.writeHead(404).end();
      return;
    }
    if (path === '/healthz') {
      try {
        const h = health(ctx, probes, ctx.clock(), limits);
        res.writeHead(h.ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(h) + '\n');
      } catch (err) {
        fail(res, err);
      }
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (err: unknown) => fail(res, err),
    );
  });
  await new Promise<void>((ok, failed) => {
    server.once('error', failed);
    server.listen(ctx.config.metrics.port, ctx.config.metrics.host, () => {
      server.off('error', failed);
      ok();
    });
  });
  server.on('error', (err) => ctx.log.error({ err: err.message }, 'metrics server error'));
  return {
    port: (server.address() as AddressInfo).port,
    stop: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}
