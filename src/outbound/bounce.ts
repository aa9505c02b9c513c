import { iso } from '../clock.js';
import type { Vmtd } from '../context.js';
import { isVerpToken } from '../mail/addresses.js';
import { addEvent, countEventsSince } from '../store/events.js';
import { enqueue, markBounced, outboxFacts } from '../store/outbox.js';
import { markSpoolDone, type SpoolRow } from '../store/spool.js';
import { bounceKind, failedRecipients } from './bounce-kind.js';
import { lettersToCoordinators } from '../compose/letters.js';

/** Bounce alerts to the coordinators in one hour; beyond it failures are recorded, not mailed. */
const ALERTS_PER_HOUR = 10;

/** Why a message to a bounce address changes nothing, or null when it is a real failure report. */
export function bounceProblem(f: { tokenValid: boolean; rowKnown: boolean; rowState: string | null; failedRcpts: string[]; rcpt: string | null }): string | null {
  if (!f.tokenValid) return 'the bounce address carries no valid token';
  if (!f.rowKnown) return 'no such outgoing mail';
  if (f.rowState !== 'sent') return `the mail was not handed over (state ${f.rowState})`;
  if (f.failedRcpts.length === 0) return 'not a delivery status notification reporting a failure';
  if (!f.failedRcpts.includes(f.rcpt!)) return 'the failed recipient it names is not the recipient of that mail';
  return null;
}

/**
 * Handles mail to a VERP address. It counts only when the address's token is the one vmtd made
 * for that outbox row, the row was handed over, and the message is a DSN (RFC 3464) whose failed
 * recipient is that row's recipient: then the delivery is marked failed and the coordinators are
 * told (at most ALERTS_PER_HOUR alerts an hour). Anything else is recorded and changes nothing.
 * Never answers the bounce (no loops).
 */
export async function handleBounce(ctx: Omit<Vmtd, 'crypto'>, row: SpoolRow, outboxId: number, token: string): Promise<void> {
  const now = ctx.clock();
  const at = iso(now);
  const facts = outboxFacts(ctx.db, outboxId);
  const tokenValid = token !== '' && isVerpToken(ctx.verpKey, outboxId, token);
  const kind = bounceKind(row.raw);
  const problem = bounceProblem({ tokenValid, rowKnown: facts !== undefined, rowState: facts?.state ?? null, failedRcpts: failedRecipients(row.raw), rcpt: facts?.rcpt ?? null });
  const failed = problem === null && facts !== undefined;
  const since = iso(new Date(now.getTime() - 3600_000));
  const alert = failed && facts.kind !== 'alert' && countEventsSince(ctx.db, 'bounce-alerted', since) < ALERTS_PER_HOUR;
  const alerts = alert
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
      markBounced(ctx.db, outboxId, `bounced (spool #${row.id})`);
      addEvent(ctx.db, facts.caseId, at, 'vmtd', 'delivery-failed', { outbox: outboxId, rcpt: facts.rcpt, spool: row.id });
      if (alert) addEvent(ctx.db, null, at, 'vmtd', 'bounce-alerted', { outbox: outboxId });
    } else {
      addEvent(ctx.db, tokenValid ? (facts?.caseId ?? null) : null, at, 'vmtd', 'bounce-ignored', { outbox: outboxId, spool: row.id, kind, reason: problem });
    }
    for (const m of alerts) enqueue(ctx.db, m, at);
    markSpoolDone(ctx.db, row.id, 'bounce', failed ? facts.caseId : null, at);
  })();
  ctx.log.info({ spool: row.id, outbox: outboxId, kind, counted: failed, reason: problem }, 'bounce handled');
}
