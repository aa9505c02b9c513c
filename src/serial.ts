/**
 * Runs an async job one at a time: a kick while it runs schedules exactly one more run after it,
 * so work that arrives during a run is never missed and runs never overlap. The pipeline, the
 * outbox worker and the scheduler each own one.
 */
export class SerialRunner {
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(private readonly job: () => Promise<void>) {}

  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.job().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
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
