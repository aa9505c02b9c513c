import type { Inbound } from '../compose/relay.js';
import type { Recipient } from '../mail/addresses.js';
import type { MailHeaders } from '../mail/headers.js';
import type { MessageContent } from '../mail/content.js';
import type { Decoded } from '../pgp/decode.js';
import type { SpoolRow } from '../store/spool.js';

/** A message as the pipeline understands it once decoded. */
export interface Understood {
  row: SpoolRow;
  headers: MailHeaders;
  recipients: Recipient[];
  decoded: Decoded;
  content: MessageContent;
  /** Protected subject when present, else the outer one. */
  subject: string;
  /** The sender's address: From, else the envelope sender. Unauthenticated unless signed. */
  sender: string | null;
}

/** Signature dates are judged with 5 minutes of slack for clocks that run ahead. */
export const clockSlackMs = 5 * 60 * 1000;

/** The inbound message as members see it relayed. */
export function inboundOf(u: Understood): Inbound {
  return { from: u.sender, fromName: u.headers.fromName, subject: u.subject, messageId: u.headers.messageId, decoded: u.decoded };
}
