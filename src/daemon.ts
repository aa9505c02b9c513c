import type { Clock } from './clock.js';
import type { Config } from './config/types.js';
import { openVmtd, type Vmtd } from './context.js';
import { dataFiles } from './store/layout.js';
import { atMostEvery } from './serial.js';
import { removeOrphanBlobFiles } from './store/orphans.js';
import { startSmtpIntake, type SmtpIntake } from './intake/smtp.js';
import { Pipeline } from './intake/pipeline.js';
import { CryptoPool } from './pgp/crypto-pool.js';
import type { Logger } from './log.js';
import { maildirTransport } from './outbound/maildir.js';
import { smtpTransport } from './outbound/smtp.js';
import type { Transport } from './outbound/transport.js';
import { OutboxWorker } from './outbound/worker.js';
import { startScheduler, type Scheduler } from './jobs/cron.js';
import { startMetrics, type LoopProbes } from './metrics.js';
import { startImapIntake, type ImapIntake } from './intake/imap.js';
import { siteOptions, writeTeamSite } from './advisories/site.js';
import { StartupError } from './startup-error.js';

export { StartupError };

/** The configured transport. */
export function transportFor(config: Config): Transport {
  return config.delivery.transport === 'smtp' ? smtpTransport(config.delivery.smtp) : maildirTransport(config.delivery.maildir);
}


const listenProblems: Record<string, string> = {
  EADDRINUSE: 'address already in use',
  EADDRNOTAVAIL: 'address not available on this host',
  EACCES: 'permission denied (a port below 1024 needs CAP_NET_BIND_SERVICE)',
  ENOTFOUND: 'no such host',
  EAI_AGAIN: 'the host name cannot be resolved',
};

/** Binds one listener, or throws a StartupError naming the address, the port and the cause. */
async function listen<T>(host: string, port: number, configKey: string, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    const why = listenProblems[code] ?? ((err as Error).message.split('\n')[0] || 'unknown error');
    throw new StartupError(`cannot listen on ${host}:${port}: ${why} (${configKey})`, code === 'EADDRINUSE' || code === 'EADDRNOTAVAIL' ? 69 : 71);
  }
}

/** The processing half of vmtd (spool pipeline and outbox), without any listener. */
export interface Engine {
  ctx: Vmtd;
  pipeline: Pipeline;
  /** The worker threads that decode ahead and seal relays (owned and closed by the pipeline). */
  crypto: CryptoPool;
  outbox: OutboxWorker;
  /** Processes everything spooled and delivers everything due. */
  settle(): Promise<void>;
  stop(): Promise<void>;
}

/** Opens vmtd's state and wires pipeline to outbox: what `serve`, `ingest` and `tick` share. */
export async function startEngine(config: Config, clock: Clock, log: Logger): Promise<Engine & { teamKeyCreated: boolean }> {
  let ctx: Awaited<ReturnType<typeof openVmtd>>;
  try {
    ctx = await openVmtd(config, clock, log);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    // The system refused the data directory (a file where a directory should be, permissions, a full disk).
    if (typeof e.code === 'string' && /^E[A-Z]+$/.test(e.code)) {
      const where = e.path ?? config.instance.dataDir;
      const why =
        e.code === 'EEXIST' || e.code === 'ENOTDIR'
          ? `${where} is not a directory`
          : e.code === 'EACCES' || e.code === 'EPERM'
            ? `permission denied on ${where}`
            : e.code === 'ENOSPC'
              ? 'no space left on the device'
              : e.message.split('\n')[0];
      throw new StartupError(`cannot use the data directory ${config.instance.dataDir}: ${why} (instance.dataDir)`, 71);
    }
    throw err;
  }
  // One pool of worker threads decodes spooled messages ahead and seals relays (the pipeline owns and closes it).
  const pool = new CryptoPool(ctx.team.privateKey, ctx.keyring, undefined, { log: ctx.log });
  ctx.crypto = pool;
  const outbox = new OutboxWorker(ctx, transportFor(config));
  const pipeline = new Pipeline(ctx, () => outbox.kick(), pool);
  return {
    ctx,
    pipeline,
    crypto: pool,
    outbox,
    teamKeyCreated: ctx.teamKeyCreated,
    async settle() {
      await pipeline.drain();
      await outbox.flush();
    },
    async stop() {
      await pipeline.stop();
      await outbox.stop();
      ctx.db.close();
    },
  };
}

/** The least time between planner passes that processed messages ask for (a pass waits at most this long). */
const PLAN_AFTER_PROCESSED_MS = 200;

export interface Daemon extends Engine {
  smtp: SmtpIntake;
  scheduler: Scheduler;
  /** The metrics endpoint's port, when metrics are enabled. */
  metricsPort: number | null;
}

/**
 * Runs vmtd: SMTP intake, spool pipeline, outbox worker with a retry timer. Every listener is
 * bound first: when one cannot be (a port in use), nothing else has started, the database is
 * closed and a StartupError says which address. Then it catches up on whatever a previous run
 * left pending. `stop()` refuses new mail (421), finishes the work in hand and closes the database.
 */
export async function startDaemon(config: Config, clock: Clock, log: Logger): Promise<Daemon & { teamKeyCreated: boolean }> {
  const engine = await startEngine(config, clock, log);
  // Mail accepted before the pipeline starts is processed by the first kick below.
  let started = false;
  let smtp: SmtpIntake | undefined;
  let metrics: Awaited<ReturnType<typeof startMetrics>> | null = null;
  // What /healthz and the gauges read of the loops started below (the listener is bound first).
  const loops: { plannerRanAt: number; imap?: ImapIntake } = { plannerRanAt: 0 };
  const probes: LoopProbes = {
    startedAt: clock().getTime(),
    pipelineProgress: () => engine.pipeline.lastProgress,
    schedulerLastRun: () => loops.plannerRanAt,
    imap: () => loops.imap?.status() ?? [],
  };
  try {
    smtp = await listen(config.smtp.host, config.smtp.port, 'smtp.host, smtp.port', () => startSmtpIntake(engine.ctx, () => started && engine.pipeline.kick()));
    if (config.metrics.enabled) metrics = await listen(config.metrics.host, config.metrics.port, 'metrics.host, metrics.port', () => startMetrics(engine.ctx, probes));
  } catch (err) {
    await smtp?.close();
    await engine.stop();
    throw err;
  }
  const scheduler = startScheduler(engine.ctx, () => {
    loops.plannerRanAt = clock().getTime();
    engine.outbox.kick();
  });
  // A processed message may have made something due (X-PUBLISH, an approval): plan again at once,
  // but at most one pass per PLAN_AFTER_PROCESSED_MS (under load a pass after every message was
  // 7% of the event loop's time, issue 16); a pass that comes due is never dropped, only joined.
  const planSoon = atMostEvery(PLAN_AFTER_PROCESSED_MS, () => scheduler.kick());
  engine.pipeline.onProcessed = () => {
    engine.outbox.kick();
    planSoon.kick();
  };
  const orphans = removeOrphanBlobFiles(engine.ctx.db, dataFiles(config.instance.dataDir));
  if (orphans.length > 0) log.warn({ files: orphans.length }, 'removed files a crash left unfinished (never acknowledged or never committed)');
  // security.txt (signed, Expires a year ahead), team.asc and the WKD copy of the team key; a
  // public directory that cannot be written is worth a warning, not a refusal to take mail.
  await writeTeamSite(config.instance.publicDir, siteOptions(config.instance, engine.ctx.team, clock(), config.policy.maxEmbargoDays)).catch((err: unknown) => {
    log.warn({ publicDir: config.instance.publicDir, err: (err as Error).message }, 'cannot write security.txt and the team key into the public directory');
  });
  const mailboxes = startImapIntake(engine.ctx, () => engine.pipeline.kick());
  loops.imap = mailboxes;
  // The outbox retries deferred mail; the spool poll picks up what `vmtd ingest` or IMAP spooled,
  // and rows a failed attempt left pending.
  const retry = setInterval(() => engine.outbox.kick(), 30_000);
  const poll = setInterval(() => engine.pipeline.kick(), 2_000);
  retry.unref();
  poll.unref();
  started = true;
  // The daemon's first messages should not wait for worker threads to start (the CLI's engines
  // start them when first needed).
  engine.crypto.warm();
  engine.pipeline.kick();
  engine.outbox.kick();
  scheduler.kick();
  const intake = smtp;
  return {
    ...engine,
    smtp: intake,
    scheduler,
    metricsPort: metrics?.port ?? null,
    async settle() {
      await engine.pipeline.drain();
      // A planner pass the throttle holds back would otherwise run after settle() returned.
      planSoon.flush();
      await scheduler.settle();
      await engine.outbox.flush();
    },
    async stop() {
      planSoon.cancel();
      clearInterval(retry);
      clearInterval(poll);
      await intake.close();
      await mailboxes.stop();
      await metrics?.stop();
      await scheduler.stop();
      await engine.stop();
    },
  };
}
