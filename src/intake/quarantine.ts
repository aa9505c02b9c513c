import { iso } from '../clock.js';
import type { Vmtd } from '../context.js';
import { intakeAddress } from '../mail/addresses.js';
import type { MailHeaders } from '../mail/headers.js';
import { composeLetter, lettersToCoordinators } from '../compose/letters.js';
import { addEvent } from '../store/events.js';
import { enqueue, type OutgoingMail } from '../store/outbox.js';
import { quarantineSpool, type SpoolRow } from '../store/spool.js';
import { mayAnswer } from './answers.js';

export interface QuarantineOptions {
  /** Tell the coordinators (default). False when they were already told about this kind of excess. */
  alert?: boolean;
  /** Tell the sender what went wrong, without any content (default). False for replays and limits. */
  answerSender?: boolean;
}

/**
 * Sets a message aside with a reason that names the problem, never the content: it stays sealed
 * in the spool, `vmtd spool list --quarantined` shows it and `vmtd spool release ID` lets it in.
 * The coordinators are told, and the sender (when one may be answered) learns only the kind of failure.
 */
export async function quarantine(ctx: Omit<Vmtd, 'verpKey' | 'crypto'>, row: SpoolRow, headers: MailHeaders, reason: string, opts: QuarantineOptions = {}): Promise<void> {
  const i = ctx.config.instance;
  const alerts =
    opts.alert === false
      ? []
      : await lettersToCoordinators(ctx, {
          caseId: null,
          kind: 'alert',
          subject: `vmtd: message ${row.id} quarantined`,
          text: [
            `A message to ${intakeAddress(i)} could not be processed and is quarantined.`,
            '',
            `  spool id:        ${row.id}`,
            `  received:        ${row.receivedAt}`,
            `  envelope sender: ${row.envelope.mailFrom || '<>'}`,
            `  reason:          ${reason}`,
            '',
            'Its content stays sealed in the spool; nothing of it was relayed.',
            `See it with "vmtd spool show ${row.id}"; "vmtd spool release ${row.id}" processes it again.`,
          ].join('\n'),
          autoSubmitted: 'auto-generated',
        });
  const replies: OutgoingMail[] = [];
  const sender = headers.from;
  if (opts.answerSender !== false && sender && mayAnswer(ctx, { headers, row, sender })) {
    replies.push(
      await composeLetter(ctx, {
        to: sender,
        caseId: null,
        kind: 'ack',
        subject: 'Your message to the security team could not be read',
        text: [
          `Your message to ${intakeAddress(i)} reached us but could not be processed`,
          `(${publicReason(reason)}). Nothing of it was read or passed on.`,
          '',
          `Please send it again, encrypted to the team key ${ctx.team.fingerprint}.`,
        ].join('\n'),
        ...(headers.messageId ? { inReplyTo: headers.messageId } : {}),
        autoSubmitted: 'auto-replied',
      }),
    );
  }
  const at = iso(ctx.clock());
  ctx.db.transaction(() => {
    quarantineSpool(ctx.db, row.id, reason, at);
    addEvent(ctx.db, null, at, 'vmtd', 'quarantined', { spool: row.id, reason });
    for (const m of [...alerts, ...replies]) enqueue(ctx.db, m, at);
  })();
  ctx.log.warn({ spool: row.id, reason }, 'message quarantined');
}

/** The reason as told to the sender: the kind of failure only. */
function publicReason(reason: string): string {
  if (/not the team key/.test(reason)) return 'it was encrypted to a key that is not the team key';
  if (/armor|packets/.test(reason)) return 'its OpenPGP data is damaged';
  if (/decrypt/.test(reason)) return 'it could not be decrypted';
  if (/policy/.test(reason)) return reason;
  return 'its structure is malformed';
}
