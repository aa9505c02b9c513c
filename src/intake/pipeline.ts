import type { Vmtd } from '../context.js';
import { dataFiles } from '../store/layout.js';
import { countSpoolAttempt, pendingSpool, quarantineSpool, spoolRow, type SpoolRow } from '../store/spool.js';
import { DECODE_AHEAD_MAX_BYTES, CryptoPool, type DecodedAhead } from '../pgp/crypto-pool.js';
import { clockSlackMs } from './understood.js';
import { iso } from '../clock.js';
import { addEvent } from '../store/events.js';
import { SerialRunner } from '../serial.js';
import { counters } from '../counters.js';
import { processedFacts } from '../store/metrics-facts.js';
import { CaseIdRace, processSpooled } from './process.js';

/** Attempts before a row that keeps failing (a bug, an unreadable row) is quarantined. */
export const MAX_SPOOL_ATTEMPTS = 3;

/** One line naming an error, for logs and quarantine reasons (never message content). */
export function errorLine(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const message = err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err);
  return (e?.code && !message.includes(e.code) ? `${e.code}: ${message}` : message).slice(0, 200);
}

/**
 * Works the spool: processes pending rows one at a time, oldest first, until none is left.
 * `kick()` after each spooled message; at start it catches up on whatever a crash left pending.
 * Any single row that fails — it cannot be read or unsealed (a damaged row or spool file), or a
 * stage throws (a bug; bad input is quarantined by the stages themselves) — is counted and tried
 * again on a later run (the daemon polls every 2 s); after MAX_SPOOL_ATTEMPTS it is quarantined
 * with the reason. One bad row never stops the loop or holds up the rows behind it.
 */
export class Pipeline {
  private readonly runner = new SerialRunner(
    () => this.loop(),
    (err) => this.ctx.log.error({ err: errorLine(err) }, 'spool pass failed; the next poll tries again'),
  );

  /**
   * Messages read and being decoded in worker threads ahead of their turn (small ones only, a few
   * at a time), so decryption runs on the other core while this thread handles the current one.
   * The order in which messages are applied, one at a time oldest first, does not change.
   */
  private readonly ahead = new Map<number, Promise<{ row: SpoolRow | undefined; decoded: DecodedAhead | null }>>();
  private readonly pool: CryptoPool;
  /** How many decodes made ahead were used (the rest were done again in turn: a key changed). */
  decodedAhead = 0;

  constructor(
    private readonly ctx: Vmtd,
    /** Called after each processed message (e.g. to kick the outbox and the planner). */
    public onProcessed: () => void = () => {},
    /** The worker pool to decode ahead in (a new one by default); the pipeline closes it when it stops. */
    pool?: CryptoPool,
  ) {
    this.pool = pool ?? new CryptoPool(ctx.team.privateKey, ctx.keyring, undefined, { log: ctx.log });
  }

  /** Clock time (ms) at which the last row was finished (processed, or its failure recorded); 0 before the first. For /healthz. */
  lastProgress = 0;

  /** The row being processed now (0: none). */
  private current = 0;

  /**
   * Asks for a pass; while a row is being processed, the rows spooled after it start being read
   * and decoded ahead now (in the worker, with their header and content parsed), not only when
   * the pass comes to ask for pending rows again: message N+1 is prepared while N is composed,
   * sealed and committed. Only the preparation runs ahead; rows are applied one at a time, in order.
   */
  kick(): void {
    this.runner.kick();
    if (this.current === 0 || this.runner.isStopped) return;
    try {
      this.readAhead(pendingSpool(this.ctx.db, 2 * this.pool.size, this.current));
    } catch {
      // Read on their turn instead.
    }
  }

  /** Resolves when every pending row has been tried once more (processing what is there first). */
  drain(): Promise<void> {
    return this.runner.settle();
  }

  async stop(): Promise<void> {
    await this.runner.stop();
    this.ahead.clear();
    await this.pool.close();
  }

  private async loop(): Promise<void> {
    // Each pending row is tried at most once per run: a row that failed waits for a later run,
    // so a transient fault is not counted three times within milliseconds.
    let after = 0;
    for (;;) {
      if (this.runner.isStopped) return;
      const rows = pendingSpool(this.ctx.db, 20, after);
      if (rows.length === 0) break;
      for (const [i, { id }] of rows.entries()) {
        if (this.runner.isStopped) break;
        this.readAhead(rows.slice(i + 1, i + 1 + 2 * this.pool.size));
        this.current = id;
        const outcome = await this.work(id);
        this.current = 0;
        if (outcome === 'race') break; // the same row again, with the case IDs as they are now
        after = id;
        this.onProcessed();
      }
    }
    // What was read ahead and not reached (stopped, or a race) is read again on its turn.
    this.ahead.clear();
  }

  /** Starts reading and decoding the next small rows (each once). */
  private readAhead(next: Array<{ id: number; inRow: boolean }>): void {
    for (const { id, inRow } of next) {
      if (!inRow || this.ahead.has(id)) continue;
      const p = this.read(id);
      p.catch(() => {}); // a row that cannot be read fails on its turn, counted there
      this.ahead.set(id, p);
    }
  }

  /**
   * Reads a row ahead of its turn and, when it is at most DECODE_AHEAD_MAX_BYTES, decodes it in a
   * worker, judged as of now. A worker that fails costs the head start: the message is then
   * decoded by the steps, on this thread, and the pool is told (a counter and a warn line).
   */
  private async read(id: number): Promise<{ row: SpoolRow | undefined; decoded: DecodedAhead | null }> {
    const row = await spoolRow(this.ctx.db, this.ctx.sealer, dataFiles(this.ctx.config.instance.dataDir).spool, id);
    if (!row || row.raw.length > DECODE_AHEAD_MAX_BYTES) return { row, decoded: null };
    const at = this.ctx.clock();
    const decoded = await this.pool.decode(row.raw, new Date(at.getTime() + clockSlackMs), at).catch((err: unknown) => {
      if (!this.runner.isStopped) this.pool.fellBack('decode', err); // stopping closes the pool: nothing fell back
      return null;
    });
    return { row, decoded };
  }

  /** Processes one row; any failure is recorded on the row, never thrown. */
  private async work(id: number): Promise<'done' | 'race'> {
    const stage = { name: 'unreadable spool row' };
    try {
      const early = this.ahead.get(id);
      this.ahead.delete(id);
      // A row whose turn came before it was read ahead is decoded by the steps, on this thread: with
      // nothing queued a worker's round trip only adds to its latency (measured: a 2 MB message
      // decodes in ~50 ms here and ~90 ms through the worker on this loaded 2-core machine).
      const { row, decoded } = early ? await early : { row: await spoolRow(this.ctx.db, this.ctx.sealer, dataFiles(this.ctx.config.instance.dataDir).spool, id), decoded: null };
      if (!row) return 'done';
      stage.name = 'internal error';
      await processSpooled(this.ctx, row, decoded, () => this.decodedAhead++);
      this.count(id);
    } catch (err) {
      if (err instanceof CaseIdRace) return 'race';
      this.failed(id, stage.name, err);
    }
    this.lastProgress = this.ctx.clock().getTime();
    return 'done';
  }

  /** Counts what a processed row came to (metrics); a failure to read it only costs the count. */
  private count(id: number): void {
    try {
      const f = processedFacts(this.ctx.db, id);
      if (!f || f.state === 'pending') return;
      const outcome = f.state === 'quarantined' ? 'quarantined' : (f.outcome ?? 'unknown');
      counters.processed.inc({ outcome });
      if (outcome === 'quarantined') counters.quarantined.inc();
      if (outcome === 'report' || outcome === 'case-message') counters.relayed.inc();
      for (const c of f.commands) counters.commands.inc({ outcome: c });
    } catch (err) {
      this.ctx.log.warn({ spool: id, err: errorLine(err) }, 'cannot count a processed message for the metrics');
    }
  }

  private failed(id: number, what: string, err: unknown): void {
    const message = errorLine(err);
    try {
      const attempts = countSpoolAttempt(this.ctx.db, id);
      this.ctx.log.error({ spool: id, attempts, err: message }, `processing failed (${what})`);
      if (attempts >= MAX_SPOOL_ATTEMPTS) {
        const reason = `${what} after ${attempts} attempts: ${message}`;
        const at = iso(this.ctx.clock());
        this.ctx.db.transaction(() => {
          quarantineSpool(this.ctx.db, id, reason, at);
          addEvent(this.ctx.db, null, at, 'vmtd', 'quarantined', { spool: id, reason });
        })();
        counters.processed.inc({ outcome: 'quarantined' });
        counters.quarantined.inc();
        this.ctx.log.warn({ spool: id, reason }, 'message quarantined (vmtd spool show / release / drop)');
      }
    } catch (recordErr) {
      // The database refused even that (disk full, locked): the row stays pending for a later run.
      this.ctx.log.error({ spool: id, err: message, recordErr: errorLine(recordErr) }, 'processing failed and the failure could not be recorded');
    }
  }
}
