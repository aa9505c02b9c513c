import { schedule, setLogger, type ScheduledTask } from 'node-cron';
import type { Vmtd } from '../context.js';
import { runPlanner } from './run.js';

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
export function startScheduler(ctx: Vmtd, afterPass: () => void): Scheduler {
  setLogger({
    info: (m: string) => ctx.log.debug({ cron: m }, 'cron'),
    warn: (m: string) => ctx.log.debug({ cron: m }, 'cron'),
    error: (m: string | Error) => ctx.log.error({ cron: String(m) }, 'cron'),
    debug: () => {},
  } as Parameters<typeof setLogger>[0]);
  let running: Promise<void> | undefined;
  let again = false;
  let digestWanted = false;
  let stopped = false;
  const kick = (digest = false): void => {
    if (stopped) return;
    digestWanted ||= digest;
    if (running) {
      again = true;
      return;
    }
    const withDigest = digestWanted;
    digestWanted = false;
    running = runPlanner(ctx, { digest: withDigest })
      .then(afterPass, (err: unknown) => ctx.log.error({ err: (err as Error).message }, 'planner pass failed'))
      .finally(() => {
        running = undefined;
        if (again) {
          again = false;
          kick();
        }
      });
  };
  const { tick, digest, timezone } = ctx.config.schedule;
  const tasks: ScheduledTask[] = [
    schedule(tick, () => kick(), { timezone, name: 'vmtd-tick' }),
    schedule(digest, () => kick(true), { timezone, name: 'vmtd-digest' }),
  ];
  return {
    kick: () => kick(),
    async settle() {
      kick();
      while (running) await running;
    },
    async stop() {
      stopped = true;
      for (const t of tasks) await t.stop();
      while (running) await running;
    },
  };
}
