import { dataFiles, type Vmtd } from '../context.js';
import { countSpoolAttempt, pendingSpoolIds, quarantineSpool, spoolRow } from '../store/spool.js';
import { iso } from '../clock.js';
import { SerialRunner } from '../serial.js';
import { CaseIdRace, processSpooled } from './process.js';

const maxAttempts = 3;

/**
 * Works the spool: processes pending rows one at a time, oldest first, until none is left.
 * `kick()` after each spooled message; at start it catches up on whatever a crash left pending.
 * A row that fails three times (a bug, not bad input: bad input is quarantined by the stages)
 * is quarantined so it cannot block the queue.
 */
export class Pipeline {
  private readonly runner = new SerialRunner(() => this.loop());

  constructor(
    private readonly ctx: Vmtd,
    /** Called after each processed message (e.g. to kick the outbox and the planner). */
    public onProcessed: () => void = () => {},
  ) {}

  kick(): void {
    this.runner.kick();
  }

  /** Resolves when the spool holds nothing pending (processing what is there first). */
  drain(): Promise<void> {
    return this.runner.settle();
  }

  stop(): Promise<void> {
    return this.runner.stop();
  }

  private async loop(): Promise<void> {
    for (;;) {
      if (this.runner.isStopped) return;
      const ids = pendingSpoolIds(this.ctx.db, 20);
      if (ids.length === 0) return;
      for (const id of ids) {
        if (this.runner.isStopped) return;
        const row = await spoolRow(this.ctx.db, this.ctx.sealer, dataFiles(this.ctx.config.instance.dataDir).spool, id);
        if (!row) continue;
        try {
          await processSpooled(this.ctx, row);
        } catch (err) {
          if (err instanceof CaseIdRace) continue;
          const attempts = countSpoolAttempt(this.ctx.db, row.id);
          const message = err instanceof Error ? err.message.split('\n')[0]!.slice(0, 200) : String(err);
          this.ctx.log.error({ spool: row.id, attempts, err: message }, 'processing failed');
          if (attempts >= maxAttempts) quarantineSpool(this.ctx.db, row.id, `internal error after ${attempts} attempts: ${message}`, iso(this.ctx.clock()));
        }
        this.onProcessed();
      }
    }
  }
}
