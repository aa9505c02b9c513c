import { schedule, setLogger, type ScheduledTask } from 'node-cron';
import type { Vmtd } from '../context.js';
import { runPlanner } from './run-planner.js';
import { syncCalendars } from './calendar-sync.js';
import { SerialRunner } from '../serial.js';

export interface Scheduler {
  /** Runs a planner pass soon (coalesced with one already running). */
  kick(): void;
  /** Runs a pass and resolves when no pass is running. */
  settle(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Runs the planner on `schedule.tick` and `schedule.digest` (node-cron only triggers: what is due
 * always comes from the database), and whenever kicked; passes never overlap.
 */
export function startScheduler(ctx: Omit<Vmtd, 'verpKey' | 'crypto'>, afterPass: () => void): Scheduler {
  setLogger({
    info: (m: string) => ctx.log.debug({ cron: m }, 'cron'),
    warn: (m: string) => ctx.log.debug({ cron: m }, 'cron'),
    error: (m: string | Error) => ctx.log.error({ cron: String(m) }, 'cron'),
    debug: () => {},
  } as Parameters<typeof setLogger>[0]);
  let digestWanted = false;
  const runner = new SerialRunner(async () => {
    const digest = digestWanted;
    digestWanted = false;
    // The calendar catch-up follows each pass: a publication the pass made cancels the embargo event.
    await runPlanner(ctx, { digest })
      .then(() => syncCalendars(ctx))
      .then(afterPass, (err: unknown) => ctx.log.error({ err: (err as Error).message }, 'planner pass failed'));
  }, (err) => ctx.log.error({ err: (err as Error)?.message ?? String(err) }, 'planner pass failed'));
  const kick = (digest = false): void => {
    digestWanted ||= digest;
    runner.kick();
  };
  const { tick, digest, timezone } = ctx.config.schedule;
  const tasks: ScheduledTask[] = [
    schedule(tick, () => kick(), { timezone, name: 'vmtd-tick' }),
    schedule(digest, () => kick(true), { timezone, name: 'vmtd-digest' }),
  ];
  return {
    kick: () => kick(),
    settle: () => runner.settle(),
    async stop() {
      for (const t of tasks) await t.stop();
      await runner.stop();
    },
  };
}
