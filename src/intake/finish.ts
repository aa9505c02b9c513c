import type { Vmtd } from '../context.js';
import { recordPayloads } from '../store/seen.js';
import { markSpoolDone, type SpoolOutcome } from '../store/spool.js';
import type { Understood } from './understood.js';

/**
 * Marks a processed message done and records the encrypted payloads it opened (their first
 * sighting fixes the case and sender they belong to). Call inside the transaction that applies
 * the message's outcome.
 */
export function finishSpooled(ctx: Pick<Vmtd, 'db'>, u: Understood, outcome: SpoolOutcome, caseId: string | null, at: string, reason: string | null = null): void {
  recordPayloads(ctx.db, u.decoded.payloadIds, caseId, u.sender, u.row.id, at);
  markSpoolDone(ctx.db, u.row.id, outcome, caseId, at, reason);
}
