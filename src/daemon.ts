import type { Clock } from './clock.js';
import type { Config } from './config/types.js';
import { dataFiles, openVmtd, type Vmtd } from './context.js';
import { removeOrphanBlobFiles } from './store/orphans.js';
import { startSmtpIntake, type SmtpIntake } from './intake/smtp.js';
import { Pipeline } from './intake/pipeline.js';
import type { Logger } from './log.js';
import { maildirTransport } from './outbound/maildir.js';
import { smtpTransport } from './outbound/smtp.js';
import type { Transport } from './outbound/transport.js';
import { OutboxWorker } from './outbound/worker.js';
import { startScheduler, type Scheduler } from './jobs/cron.js';
import { startMetrics } from './metrics.js';
import { startImapIntake } from './intake/imap.js';

/** The configured transport. */
export function transportFor(config: Config): Transport {
  return config.delivery.transport === 'smtp' ? smtpTransport(config.delivery.smtp) : maildirTransport(config.delivery.maildir);
}

/** The processing half of vmtd (spool pipeline and outbox), without any listener. */
export interface Engine {
  ctx: Vmtd;
  pipeline: Pipeline;
  outbox: OutboxWorker;
  /** Processes everything spooled and delivers everything due. */
  settle(): Promise<void>;
  stop(): Promise<void>;
}

/** Opens vmtd's state and wires pipeline to outbox: what `serve`, `ingest` and `tick` share. */
export async function startEngine(config: Config, clock: Clock, log: Logger): Promise<Engine & { teamKeyCreated: boolean }> {
  const ctx = await openVmtd(config, clock, log);
  const outbox = new OutboxWorker(ctx, transportFor(config));
  const pipeline = new Pipeline(ctx, () => outbox.kick());
  return {
    ctx,
    pipeline,
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

export interface Daemon extends Engine {
  smtp: SmtpIntake;
  scheduler: Scheduler;
  /** The metrics endpoint's port, when metrics are enabled. */
  metricsPort: number | null;
}

/**
 * Runs vmtd: SMTP intake, spool pipeline, outbox worker with a retry timer. Catches up on
 * whatever a previous run left pending. `stop()` refuses new mail (421), finishes the work in
 * hand and closes the database.
 */
export async function startDaemon(config: Config, clock: Clock, log: Logger): Promise<Daemon & { teamKeyCreated: boolean }> {
  const engine = await startEngine(config, clock, log);
  const scheduler = startScheduler(engine.ctx, () => engine.outbox.kick());
  // A processed message may have made something due (X-PUBLISH, an approval): plan again at once.
  engine.pipeline.onProcessed = () => {
    engine.outbox.kick();
    scheduler.kick();
  };
  const orphans = removeOrphanBlobFiles(engine.ctx.db, dataFiles(config.instance.dataDir));
  if (orphans.length > 0) log.warn({ files: orphans.length }, 'removed files a crash left unfinished (never acknowledged or never committed)');
  const smtp = await startSmtpIntake(engine.ctx, () => engine.pipeline.kick());
  const metrics = config.metrics.enabled ? await startMetrics(engine.ctx) : null;
  const imap = startImapIntake(engine.ctx, () => engine.pipeline.kick());
  // The outbox retries deferred mail; the spool poll picks up what `vmtd ingest` or IMAP spooled.
  const retry = setInterval(() => engine.outbox.kick(), 30_000);
  const poll = setInterval(() => engine.pipeline.kick(), 2_000);
  retry.unref();
  poll.unref();
  engine.pipeline.kick();
  engine.outbox.kick();
  scheduler.kick();
  return {
    ...engine,
    smtp,
    scheduler,
    metricsPort: metrics?.port ?? null,
    async settle() {
      await engine.pipeline.drain();
      await scheduler.settle();
      await engine.outbox.flush();
    },
    async stop() {
      clearInterval(retry);
      clearInterval(poll);
      await smtp.close();
      await imap.stop();
      await metrics?.stop();
      await scheduler.stop();
      await engine.stop();
    },
  };
}
