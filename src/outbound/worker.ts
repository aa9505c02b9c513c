import { statSync } from 'node:fs';
import { join } from 'node:path';
import { iso } from '../clock.js';
import { SerialRunner } from '../serial.js';
import type { Vmtd } from '../context.js';
import { dataFiles } from '../store/layout.js';
import { readStoredBytes } from '../store/blob-files.js';
import { bounceAddress } from '../mail/addresses.js';
import { addEvent } from '../store/events.js';
import { claimDue, enqueue, markAllSent, markFailed, markRetry, outboxFacts, payloadData, recoverInFlight, type OutboxRow } from '../store/outbox.js';
import { nextAttempt, pastHorizon } from './backoff.js';
import { materialize } from './materialize.js';
import { lettersToCoordinators } from '../compose/letters.js';
import type { DeliveryResult, Transport } from './transport.js';
import { counters } from '../counters.js';

/** How many small mails are handed to the transport at once. */
const CONCURRENCY = 8;

/** Copies of a relay whose encrypted data is larger than this go one at a time (the 1 MiB files before were paid 10 fsyncs in a row, issue 16). */
const LARGE_COPY_BYTES = 8 << 20;

/**
 * Attempts after which a local fault (the mail cannot even be put together: its payload row or
 * file is missing or unreadable) gives the row up as failed, instead of retrying until the horizon.
 */
export const MAX_LOCAL_ATTEMPTS = 5;

const errorText = (err: unknown): string => {
  const e = err as NodeJS.ErrnoException;
  return (e?.code ?? (err instanceof Error ? err.message.split('\n')[0] : String(err)) ?? 'unknown error').slice(0, 200);
};

/** Runs `work` over `items`, at most `limit` at a time; results in the order of `items`. */
async function inParallel<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}

/**
 * Hands queued mail to the transport: each row is marked sent only after the transport accepted
 * it, so a crash in between re-sends that one row (same bytes, same Message-ID) and loses none.
 */
export class OutboxWorker {
  private readonly runner = new SerialRunner(
    () => this.loop(),
    (err) => this.ctx.log.error({ err: errorText(err) }, 'outbox pass failed; the next kick tries again'),
  );

  constructor(
    private readonly ctx: Vmtd,
    private readonly transport: Transport,
  ) {
    recoverInFlight(ctx.db, iso(ctx.clock()));
  }

  kick(): void {
    this.runner.kick();
  }

  /** Delivers everything due now, then resolves. */
  flush(): Promise<void> {
    return this.runner.settle();
  }

  async stop(): Promise<void> {
    await this.runner.stop();
    await this.transport.close();
  }

  private async loop(): Promise<void> {
    for (;;) {
      if (this.runner.isStopped) return;
      const rows = claimDue(this.ctx.db, iso(this.ctx.clock()), 32);
      if (rows.length === 0) {
        // Nothing more due: the last payload (up to ~18 MB, and its shared armor) is not kept for later.
        this.lastPayload = null;
        return;
      }
      // Small mail goes out several at a time (each maildir file or SMTP transaction waits on
      // I/O); a copy of a large relay goes alone, so that only one is in memory at a time.
      const large = rows.filter((r) => this.isLarge(r));
      const results = [...(await inParallel(rows.filter((r) => !large.includes(r)), CONCURRENCY, (r) => this.attempt(r)))];
      for (const r of large) results.push(await this.attempt(r));
      // One commit for every delivered row: a crash before it re-sends those few (same Message-IDs).
      const sent = results.filter((r) => r.result.ok);
      markAllSent(this.ctx.db, sent.map((r) => r.row.id), iso(this.ctx.clock()));
      for (const { row } of sent) {
        counters.delivered.inc({ kind: row.kind });
        this.ctx.log.info({ outbox: row.id, case: row.caseId, kind: row.kind }, 'delivered');
      }
      let stuck = false;
      for (const { row, result } of results) if (!result.ok) stuck = !(await this.undelivered(row, this.giveUpLocal(row, result))) || stuck;
      // A row whose failure could not be recorded is still due: leave it to the next kick rather than claim it again at once.
      if (stuck) return;
    }
  }

  /**
   * Whether a row is a copy of a large relay (its payload a file over LARGE_COPY_BYTES); a damaged
   * payload row or a missing file counts as small (its attempt fails). Copies of one payload share
   * its armor (encode.ts armorCopy), so a few MiB sent side by side cost little more than one.
   */
  private isLarge(row: OutboxRow): boolean {
    if (row.payloadId === null) return false;
    try {
      const { file } = payloadData(this.ctx.db, row.payloadId);
      return file !== null && statSync(join(dataFiles(this.ctx.config.instance.dataDir).blobs, file)).size > LARGE_COPY_BYTES;
    } catch {
      return false;
    }
  }

  /** A local fault (the mail cannot be put together) that persisted MAX_LOCAL_ATTEMPTS times is permanent. */
  private giveUpLocal(row: OutboxRow, result: Extract<DeliveryResult, { ok: false }>): Extract<DeliveryResult, { ok: false }> {
    return !result.permanent && result.error.startsWith('local:') && row.attempts + 1 >= MAX_LOCAL_ATTEMPTS ? { ...result, permanent: true } : result;
  }

  /**
   * Records a failed attempt (retry or failed, see notDelivered). If even that throws, the row is
   * marked failed with the error directly, or at least put off, so one row never stops the loop
   * nor is claimed again at once.
   */
  private async undelivered(row: OutboxRow, result: Extract<DeliveryResult, { ok: false }>): Promise<boolean> {
    try {
      await this.notDelivered(row, result);
      return true;
    } catch (err) {
      const error = `${result.error}; then: ${errorText(err)}`;
      this.ctx.log.error({ outbox: row.id, case: row.caseId, kind: row.kind, err: error }, 'recording a failed delivery failed');
      try {
        const giveUp = result.permanent || row.attempts + 1 >= MAX_LOCAL_ATTEMPTS;
        if (giveUp) markFailed(this.ctx.db, row.id, error);
        else markRetry(this.ctx.db, row.id, error, iso(nextAttempt(this.ctx.clock(), row.attempts)));
        (giveUp ? counters.failed : counters.deferred).inc({ kind: row.kind });
        return true;
      } catch (again) {
        this.ctx.log.error({ outbox: row.id, err: errorText(again) }, 'cannot record the failed delivery; the row waits for the next pass');
        return false;
      }
    }
  }

  // The copies of one relay are queued together: the last payload read serves them all, instead of
  // reading tens of megabytes once per member.
  private lastPayload: { id: number; data: Promise<Buffer> } | null = null;

  private payload(id: number): Promise<Buffer> {
    if (this.lastPayload?.id !== id) {
      let stored: ReturnType<typeof payloadData>;
      try {
        stored = payloadData(this.ctx.db, id);
      } catch {
        throw new Error(`payload #${id} is missing from the database`);
      }
      const data = stored.inline ? Promise.resolve(stored.inline) : readStoredBytes(dataFiles(this.ctx.config.instance.dataDir).blobs, stored.file);
      this.lastPayload = { id, data };
      // A read that failed is not kept: the next attempt reads again (the file may be restored).
      data.catch(() => {
        if (this.lastPayload?.data === data) this.lastPayload = null;
      });
    }
    return this.lastPayload.data;
  }

  private async attempt(row: OutboxRow): Promise<{ row: OutboxRow; result: DeliveryResult }> {
    try {
      const pieces = await materialize(row, (id) => this.payload(id));
      return { row, result: await this.transport.deliver({ from: bounceAddress(this.ctx.config.instance, row.id, this.ctx.verpKey), to: row.rcpt }, pieces) };
    } catch (err) {
      // Not the transport's answer but a local fault (e.g. an unreadable payload file): retried.
      return { row, result: { ok: false, permanent: false, error: `local: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` } };
    }
  }

  private async notDelivered(row: OutboxRow, result: Extract<DeliveryResult, { ok: false }>): Promise<void> {
    const ctx = this.ctx;
    const now = ctx.clock();
    const facts = outboxFacts(ctx.db, row.id)!;
    if (!result.permanent && !pastHorizon(facts.createdAt, now, ctx.config.delivery.retryHorizonHours)) {
      const retryAt = iso(nextAttempt(now, row.attempts));
      markRetry(ctx.db, row.id, result.error, retryAt);
      counters.deferred.inc({ kind: row.kind });
      ctx.log.warn({ outbox: row.id, case: row.caseId, kind: row.kind, rcpt: row.rcpt, attempts: row.attempts + 1, retryAt, err: result.error }, 'delivery deferred');
      return;
    }
    const alerts =
      row.kind === 'alert'
        ? []
        : await lettersToCoordinators(ctx, {
            caseId: row.caseId,
            kind: 'alert',
            subject: `${row.caseId ? `[${row.caseId}] ` : ''}delivery failed to ${row.rcpt}`,
            text: [
              'A mail from vmtd could not be delivered and is given up.',
              '',
              `  recipient: ${row.rcpt}`,
              `  case:      ${row.caseId ?? '(none)'}`,
              `  what:      ${row.kind} (outbox #${row.id}, queued ${facts.createdAt})`,
              `  error:     ${result.error}`,
            ].join('\n'),
            autoSubmitted: 'auto-generated',
          });
    const at = iso(now);
    ctx.db.transaction(() => {
      markFailed(ctx.db, row.id, result.error);
      addEvent(ctx.db, row.caseId, at, 'vmtd', 'delivery-failed', { outbox: row.id, rcpt: row.rcpt, error: result.error });
      for (const a of alerts) enqueue(ctx.db, a, at);
    })();
    counters.failed.inc({ kind: row.kind });
    ctx.log.error({ outbox: row.id, case: row.caseId, kind: row.kind, rcpt: row.rcpt, attempts: row.attempts + 1, err: result.error }, 'delivery failed');
  }
}
