import { iso } from '../clock.js';
import type { Vmtd } from '../context.js';
import { addEvent } from '../store/events.js';
import { enqueue, outboxFacts } from '../store/outbox.js';
import { markSpoolDone, type SpoolRow } from '../store/spool.js';
import { bounceKind } from './bounce-kind.js';
import { lettersToCoordinators } from './letters.js';

/**
 * Handles mail to a VERP address: a failure report marks that one delivery failed and tells the
 * coordinators who did not get which case message; delays and auto-replies are recorded only.
 * Never answers the bounce (no loops).
 */
export async function handleBounce(ctx: Vmtd, row: SpoolRow, outboxId: number): Promise<void> {
  const at = iso(ctx.clock());
  const facts = outboxFacts(ctx.db, outboxId);
  const kind = bounceKind(row.raw);
  const failed = facts !== undefined && kind === 'failed';
  const alerts =
    failed && facts.kind !== 'alert'
      ? await lettersToCoordinators(ctx, {
          caseId: facts.caseId,
          kind: 'alert',
          subject: `${facts.caseId ? `[${facts.caseId}] ` : ''}delivery failed to ${facts.rcpt}`,
          text: [
            `A mail from vmtd could not be delivered; the receiving side reported a failure.`,
            '',
            `  recipient: ${facts.rcpt}`,
            `  case:      ${facts.caseId ?? '(none)'}`,
            `  what:      ${facts.kind} (outbox #${facts.id}, queued ${facts.createdAt})`,
            '',
            'Check the address or the member\'s mail system; the bounce is kept in the spool.',
          ].join('\n'),
          autoSubmitted: 'auto-generated',
        })
      : [];
  ctx.db.transaction(() => {
    if (failed) {
      ctx.db.prepare("UPDATE outbox SET state = 'failed', last_error = ? WHERE id = ?").run(`bounced (spool #${row.id})`, outboxId);
      addEvent(ctx.db, facts.caseId, at, 'vmtd', 'delivery-failed', { outbox: outboxId, rcpt: facts.rcpt, spool: row.id });
    } else {
      addEvent(ctx.db, facts?.caseId ?? null, at, 'vmtd', 'bounce-ignored', { outbox: outboxId, spool: row.id, kind, known: facts !== undefined });
    }
    for (const m of alerts) enqueue(ctx.db, m, at);
    markSpoolDone(ctx.db, row.id, 'bounce', facts?.caseId ?? null, at);
  })();
  ctx.log.info({ spool: row.id, outbox: outboxId, kind }, 'bounce handled');
}
