import { simpleParser } from 'mailparser';
import { header, parseEntity } from './entity.js';
import { decodeHeaderText } from './subject.js';

/** What routing needs from a message's outer header, decoded. */
export interface MailHeaders {
  from: string | null;
  fromName: string | null;
  subject: string;
  messageId: string | null;
  inReplyTo: string[];
  references: string[];
  /** True for mail no person wrote: must never get an automatic answer (RFC 3834). */
  automatic: boolean;
  autocrypt: string | null;
}

/** For a header block no parser accepts: no sender to answer, never answered automatically. */
export const unreadableHeaders: MailHeaders = { from: null, fromName: null, subject: '', messageId: null, inReplyTo: [], references: [], automatic: true, autocrypt: null };

function idList(v: string | string[] | undefined): string[] {
  if (!v) return [];
  const all = (Array.isArray(v) ? v : [v]).join(' ');
  return [...all.matchAll(/<[^<>\s]+>/g)].map((m) => m[0]);
}

/**
 * Reads the outer header of a raw message. Only the header block is parsed, so a huge or hostile
 * body costs nothing here.
 */
export async function readHeaders(raw: Buffer): Promise<MailHeaders> {
  const entity = parseEntity(raw);
  const parsed = await simpleParser(Buffer.concat([entity.head, Buffer.from('\r\n\r\n')]), {
    skipHtmlToText: true,
    skipTextToHtml: true,
    skipImageLinks: true,
  });
  const fromAddr = parsed.from?.value?.[0];
  const autoSubmitted = (header(entity.headers, 'auto-submitted') ?? 'no').toLowerCase().trim();
  const precedence = (header(entity.headers, 'precedence') ?? '').toLowerCase().trim();
  const automatic =
    !autoSubmitted.startsWith('no') ||
    ['bulk', 'list', 'junk', 'auto_reply'].includes(precedence) ||
    // Delivery and read reports (RFC 3464, 8098) are automatic whatever their other headers say.
    entity.type === 'multipart/report' ||
    entity.type === 'message/disposition-notification' ||
    header(entity.headers, 'list-id') !== undefined ||
    header(entity.headers, 'x-autoreply') !== undefined ||
    header(entity.headers, 'x-autorespond') !== undefined;
  const messageId = idList(parsed.messageId)[0] ?? null;
  return {
    from: fromAddr?.address ? fromAddr.address.toLowerCase() : null,
    fromName: fromAddr?.name || null,
    subject: (parsed.subject ?? '').replace(/[\r\n\t]+/g, ' ').trim(),
    messageId,
    inReplyTo: idList(parsed.inReplyTo),
    references: idList(parsed.references),
    automatic,
    autocrypt: header(entity.headers, 'autocrypt') ?? null,
  };
}

/** The protected Subject of a decrypted entity (protected-headers="v1"), if it carries one, decoded. */
export function protectedSubject(content: Buffer): string | null {
  const entity = parseEntity(content);
  if (!entity.params['protected-headers']) return null;
  const subject = header(entity.headers, 'subject');
  // Read from the raw entity: RFC 2047 words (=?UTF-8?Q?=C3=9Cberlauf?=) and raw UTF-8 are decoded here.
  return subject ? decodeHeaderText(subject) : null;
}
