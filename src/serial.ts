/**
 * Runs an async job one at a time: a kick while it runs schedules exactly one more run after it,
 * so work that arrives during a run is never missed and runs never overlap. The pipeline, the
 * outbox worker and the scheduler each own one.
 *
 * A run that throws is handed to `onError` (logged by the owner) and the runner goes on: the next
 * kick runs the job again. No run ever ends in an unhandled rejection, so a background loop can
 * never take the daemon down.
 */
export class SerialRunner {
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(
    private readonly job: () => Promise<void>,
    private readonly onError: (err: unknown) => void = (err) => process.stderr.write(`vmtd: background job failed: ${err instanceof Error ? err.message : String(err)}\n`),
  ) {}

  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.run().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
  }

  /** One run of the job; never rejects (a job that throws synchronously is caught too). */
  private async run(): Promise<void> {
    try {
      await this.job();
    } catch (err) {
      try {
        this.onError(err);
      } catch {
        // A failing error handler must not turn into an unhandled rejection either.
      }
    }
  }

  /** Runs the job (if not stopped) and resolves once no run is in progress or scheduled. */
  async settle(): Promise<void> {
    this.kick();
    while (this.running) await this.running;
  }

  /** Refuses new runs and waits for the one in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    while (this.running) await this.running;
  }

  get isStopped(): boolean {
    return this.stopped;
  }
}

/** The time and timers `atMostEvery` uses; tests pass their own to decide without waiting. */
export interface Timers {
  now(): number;
  /** A timer that does not keep the process alive. */
  setTimeout(fire: () => void, ms: number): object;
  clearTimeout(timer: unknown): void;
}

const realTimers: Timers = {
  now: () => performance.now(),
  setTimeout: (fire, ms) => setTimeout(fire, ms).unref(),
  clearTimeout: (timer) => clearTimeout(timer as NodeJS.Timeout),
};

/**
 * Calls `run` at once when kicked, unless it ran less than `ms` ago: then once when `ms` have
 * passed, however many kicks came meanwhile. Every kick is followed by a call that starts after it.
 */
export function atMostEvery(ms: number, run: () => void, timers: Timers = realTimers): { kick(): void; flush(): void; cancel(): void } {
  let last = -Infinity;
  let timer: ReturnType<Timers['setTimeout']> | null = null;
  const fire = (): void => {
    timer = null;
    last = timers.now();
    run();
  };
  return {
    kick() {
      if (timer) return;
      const wait = last + ms - timers.now();
      if (wait <= 0) fire();
      else timer = timers.setTimeout(fire, wait);
    },
    /** A call that is waiting for the interval runs now (the daemon's settle: everything due, done). */
    flush() {
      if (!timer) return;
      timers.clearTimeout(timer);
      fire();
    },
    cancel() {
      if (timer) timers.clearTimeout(timer);
      timer = null;
    },
  };
}
