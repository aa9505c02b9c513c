import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { iso } from '../clock.js';
import { SerialRunner } from '../serial.js';
import { dataFiles, type Vmtd } from '../context.js';
import { bounceAddress } from '../mail/addresses.js';
import { addEvent } from '../store/events.js';
import { claimDue, enqueue, markFailed, markRetry, markSent, outboxFacts, payloadData, recoverInFlight, type OutboxRow } from '../store/outbox.js';
import { nextAttempt, pastHorizon } from './backoff.js';
import { materialize } from './materialize.js';
import { lettersToCoordinators } from './letters.js';
import type { Transport } from './transport.js';

/**
 * Hands queued mail to the transport: each row is marked sent only after the transport accepted
 * it, so a crash in between re-sends that one row (same bytes, same Message-ID) and loses none.
 */
export class OutboxWorker {
  private readonly runner = new SerialRunner(() => this.loop());

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
      const rows = claimDue(this.ctx.db, iso(this.ctx.clock()), 20);
      if (rows.length === 0) return;
      for (const row of rows) await this.deliver(row);
    }
  }

  // The copies of one relay are queued together: the last payload read serves them all, instead of
  // reading tens of megabytes from the database once per member.
  private lastPayload: { id: number; data: Buffer } | null = null;

  private async payload(id: number): Promise<Buffer> {
    if (this.lastPayload?.id !== id) {
      const stored = payloadData(this.ctx.db, id);
      const data = stored.inline ?? (await readFile(join(dataFiles(this.ctx.config.instance.dataDir).blobs, stored.file)));
      this.lastPayload = { id, data };
    }
    return this.lastPayload.data;
  }

  private async deliver(row: OutboxRow): Promise<void> {
    const ctx = this.ctx;
    const result = await this.transport.deliver({ from: bounceAddress(ctx.config.instance, row.id), to: row.rcpt }, await materialize(row, (id) => this.payload(id)));
    const now = ctx.clock();
    if (result.ok) {
      markSent(ctx.db, row.id, iso(now));
      ctx.log.info({ outbox: row.id, case: row.caseId, kind: row.kind }, 'delivered');
      return;
    }
    const facts = outboxFacts(ctx.db, row.id)!;
    if (!result.permanent && !pastHorizon(facts.createdAt, now, ctx.config.delivery.retryHorizonHours)) {
      markRetry(ctx.db, row.id, result.error, iso(nextAttempt(now, row.attempts)));
      ctx.log.warn({ outbox: row.id, attempts: row.attempts + 1, err: result.error }, 'delivery deferred');
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
    ctx.log.error({ outbox: row.id, err: result.error }, 'delivery failed');
  }
}
