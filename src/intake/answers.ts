import { iso } from '../clock.js';
import type { Vmtd } from '../context.js';
import { recipientKey } from '../identity/recipient-key.js';
import { caseAddress } from '../mail/addresses.js';
import { isTeamAddress } from '../mail/own-address.js';
import { composeLetter, keyBook } from '../compose/letters.js';
import { countAnswersTo, type OutgoingMail } from '../store/outbox.js';
import type { Understood } from './understood.js';

/**
 * Whether vmtd may answer this message automatically at all (RFC 3834): never to the null
 * sender `<>`, never to automatic mail (auto-replies, bounces, lists), never to one of the team's
 * own addresses, and at most policy.ackPerSenderPerHour answers an hour to one address.
 */
export function mayAnswer(ctx: Pick<Vmtd, 'config' | 'db' | 'clock'>, u: Pick<Understood, 'headers' | 'row' | 'sender'>): boolean {
  if (u.headers.automatic || !u.row.envelope.mailFrom || !u.sender) return false;
  if (isOwnAddress(ctx, u.sender)) return false;
  return withinAnswerRate(ctx, u.sender);
}

/** Whether an address is one of the team's own (intake, a case, a bounce address): mail from it is a loop. */
export function isOwnAddress(ctx: Pick<Vmtd, 'config'>, address: string): boolean {
  return isTeamAddress(ctx.config.instance, address);
}

/** Whether one more automatic answer to this address stays within policy.ackPerSenderPerHour. */
export function withinAnswerRate(ctx: Pick<Vmtd, 'config' | 'db' | 'clock'>, address: string): boolean {
  const since = iso(new Date(ctx.clock().getTime() - 3600_000));
  return countAnswersTo(ctx.db, address, since) < ctx.config.policy.ackPerSenderPerHour;
}

/** The acknowledgement of a new case to its reporter: encrypted when a key for them is known, else clear and content-free (a `note` must be content-free too). */
export async function acknowledgement(ctx: Omit<Vmtd, 'verpKey' | 'log' | 'crypto'>, u: Understood, caseId: string, fingerprint: string | null, note: string | null = null): Promise<OutgoingMail> {
  const i = ctx.config.instance;
  const addr = caseAddress(i, caseId);
  const lookup = await recipientKey(keyBook(ctx), { email: u.sender!, fingerprint, learnedKeyAllowed: true });
  const text = [
    `Thank you. Your report reached the ${i.name} and is now case ${caseId}.`,
    '',
    // e.g. the project written to is unknown: content-free, so it may travel in clear.
    ...(note ? [note, ''] : []),
    `To add to it, reply to this mail or write to ${addr}`,
    `(or keep [${caseId}] in the subject).`,
    '',
    lookup.ok
      ? 'This answer is encrypted to your key; the team will use it for this case.'
      : `Please encrypt what you send to the team key ${ctx.team.fingerprint}`,
    lookup.ok ? '' : '(attach your own public key so that we can answer encrypted).',
    '',
    `-- ${i.name}`,
  ].join('\n');
  return composeLetter(ctx, {
    to: u.sender!,
    ...(lookup.ok ? { key: lookup.key } : {}),
    caseId,
    kind: 'ack',
    subject: `[${caseId}] Report received`,
    text,
    ...(u.headers.messageId ? { inReplyTo: u.headers.messageId, references: [u.headers.messageId] } : {}),
    autoSubmitted: 'auto-replied',
  });
}
