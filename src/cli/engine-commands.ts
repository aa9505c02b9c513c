import { createLogger } from '../log.js';
import { startEngine } from '../daemon.js';
import { EX } from './exit.js';
import type { CliEnv } from './env.js';

/** `vmtd init`: data directory, database, data key and team key (idempotent). */
export async function init(env: CliEnv): Promise<number> {
  const engine = await startEngine(env.config, env.clock, createLogger('warn'));
  env.out(`${engine.teamKeyCreated ? 'created' : 'found'} team key ${engine.ctx.team.fingerprint}\n`);
  env.out(`data directory ${env.config.instance.dataDir}\n`);
  await engine.stop();
  return EX.OK;
}

/**
 * `vmtd tick [--now ISO]`: processes the spool, runs one planner pass at that time and delivers
 * everything due: how an admin forces the schedule and how tests travel in time.
 */
export async function tick(env: CliEnv): Promise<number> {
  const engine = await startEngine(env.config, env.clock, createLogger(env.config.log.level === 'info' ? 'warn' : env.config.log.level));
  try {
    await engine.pipeline.drain();
    const { runPlanner } = await import('../jobs/run-planner.js');
    const summary = await runPlanner(engine.ctx, { digest: true });
    // As the daemon's pass does: a publication this pass made cancels the embargo's calendar event.
    const { syncCalendars } = await import('../jobs/calendar-sync.js');
    await syncCalendars(engine.ctx);
    await engine.pipeline.drain();
    await engine.outbox.flush();
    env.out(`${JSON.stringify(summary)}\n`);
  } finally {
    await engine.stop();
  }
  return EX.OK;
}
