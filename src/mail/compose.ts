import { randomBytes, randomUUID } from 'node:crypto';
import libmime from 'libmime';

/**
 * The one composer of every outgoing mail. Header values are sanitised here (no CR/LF can reach
 * a header: no injection through a title or a name), encoded per RFC 2047 and folded.
 */

export interface Addressing {
  fromName: string;
  from: string;
  to: string;
  subject: string;
  messageId: string;
  date: Date;
  replyTo?: string;
  inReplyTo?: string;
  references?: string[];
  listId?: string;
  /** RFC 3834: set on every mail vmtd sends on its own (acks, notices, answers, alerts). */
  autoSubmitted?: 'auto-generated' | 'auto-replied';
  /**
   * A relay of a member's message: list mail. It is a person's words, so it carries no
   * Auto-Submitted (RFC 3834 reserves that for mail a program wrote, and some clients file such
   * mail away); instead the headers every responder honours for lists: `Precedence: list`,
   * `List-Post` beside `List-Id` (RFC 5230 vacation must not answer either), and Exchange's
   * `X-Auto-Response-Suppress: All`.
   */
  list?: boolean;
}

/** A header value stripped of line breaks and control characters. */
export function headerSafe(value: string): string {
  return value.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
}

function encodeValue(value: string): string {
  const safe = headerSafe(value);
  return /^[\x20-\x7e]*$/.test(safe) ? safe : libmime.encodeWords(safe, 'Q', 52);
}

function mailbox(name: string, address: string): string {
  const n = headerSafe(name);
  if (!n) return `<${headerSafe(address)}>`;
  const display = /^[\x20-\x7e]*$/.test(n) ? `"${n.replace(/["\\]/g, '\\$&')}"` : libmime.encodeWords(n, 'Q', 52);
  return `${display} <${headerSafe(address)}>`;
}

/** Folds a header line at spaces so that no line exceeds 76 characters where a space allows. */
function fold(line: string): string {
  const words = line.split(' ');
  const lines: string[] = [];
  let current = words.shift() ?? '';
  for (const w of words) {
    if (current.length + 1 + w.length > 76) {
      lines.push(current);
      current = ' ' + w;
    } else current += ' ' + w;
  }
  lines.push(current);
  return lines.join('\r\n');
}

/** A fresh Message-ID in the team's domain. */
export function newMessageId(domain: string): string {
  return `<${randomUUID()}@${domain}>`;
}

function boundary(): string {
  return `vmtd-${randomBytes(12).toString('hex')}`;
}

function outerHeaders(a: Addressing, contentType: string): string {
  const lines = [
    `From: ${mailbox(a.fromName, a.from)}`,
    `To: <${headerSafe(a.to)}>`,
    `Subject: ${encodeValue(a.subject)}`,
    `Date: ${a.date.toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: ${headerSafe(a.messageId)}`,
  ];
  if (a.replyTo) lines.push(`Reply-To: <${headerSafe(a.replyTo)}>`);
  if (a.inReplyTo) lines.push(`In-Reply-To: ${headerSafe(a.inReplyTo)}`);
  if (a.references && a.references.length > 0) lines.push(`References: ${a.references.map(headerSafe).join(' ')}`);
  if (a.listId) lines.push(`List-Id: ${headerSafe(a.listId)}`);
  if (a.list && a.replyTo) lines.push(`List-Post: <mailto:${headerSafe(a.replyTo)}>`);
  if (a.list) lines.push('Precedence: list');
  if (a.autoSubmitted) lines.push(`Auto-Submitted: ${a.autoSubmitted}`);
  if (a.list || a.autoSubmitted) lines.push('X-Auto-Response-Suppress: All');
  lines.push('MIME-Version: 1.0', contentType);
  return lines.map(fold).join('\r\n');
}

/**
 * Stands where a shared ciphertext's armor goes in a queued mail; the outbox fills it in at
 * delivery (outbound/materialize.ts), so a relay's data is stored once, not once per member.
 */
export const ARMOR_SLOT = '-----VMTD SHARED CIPHERTEXT SLOT-----';

/** An RFC 3156 multipart/encrypted mail around an armored OpenPGP message. */
export function composeEncrypted(a: Addressing, armored: string): Buffer {
  const b = boundary();
  const head = outerHeaders(a, `Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="${b}"`);
  const body = [
    'This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)',
    `--${b}`,
    'Content-Type: application/pgp-encrypted',
    'Content-Description: PGP/MIME version identification',
    '',
    'Version: 1',
    '',
    `--${b}`,
    'Content-Type: application/octet-stream; name="encrypted.asc"',
    'Content-Description: OpenPGP encrypted message',
    'Content-Disposition: inline; filename="encrypted.asc"',
    '',
    armored.replace(/\r?\n/g, '\r\n').trimEnd(),
    '',
    `--${b}--`,
    '',
  ].join('\r\n');
  return Buffer.from(`${head}\r\n\r\n${body}`, 'utf8');
}

/** A text/plain mail whose body is an OpenPGP clear-signed text (`gpg --verify` works on the saved body). */
export function composeClearsigned(a: Addressing, clearsigned: string): Buffer {
  const head = outerHeaders(a, 'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit');
  return Buffer.from(`${head}\r\n\r\n${clearsigned.replace(/\r?\n/g, '\r\n')}`, 'utf8');
}

/** A text/plain MIME entity (for the inside of an encrypted mail). */
export function textEntity(text: string): Buffer {
  return Buffer.from(`Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n${text.replace(/\r?\n/g, '\r\n')}`, 'utf8');
}

/** A base64 attachment entity with a sanitised file name. */
export function attachmentEntity(name: string, type: string, content: Buffer): Buffer {
  const safe = headerSafe(name).replace(/[^A-Za-z0-9._-]/g, '_');
  const b64 = content.toString('base64').replace(/.{76}/g, '$&\r\n');
  return Buffer.from(`Content-Type: ${headerSafe(type)}; name="${safe}"\r\nContent-Disposition: attachment; filename="${safe}"\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64}\r\n`);
}

export interface ProtectedHeaders {
  subject: string;
  from: string;
  to: string;
  date: Date;
  messageId: string;
}

/**
 * The inside of an encrypted mail: a multipart/mixed carrying the real headers (protected headers,
 * draft-autocrypt-lamps-protected-headers "v1") and the given parts, byte-exact.
 */
export function innerEntity(h: ProtectedHeaders, parts: Buffer[]): Buffer {
  const b = boundary();
  const head = [
    `Content-Type: multipart/mixed; boundary="${b}"; protected-headers="v1"`,
    `Subject: ${encodeValue(h.subject)}`,
    `From: ${encodeValue(h.from)}`,
    `To: ${encodeValue(h.to)}`,
    `Date: ${h.date.toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: ${headerSafe(h.messageId)}`,
  ]
    .map(fold)
    .join('\r\n');
  const chunks: Buffer[] = [Buffer.from(`${head}\r\n\r\n`)];
  for (const p of parts) chunks.push(Buffer.from(`--${b}\r\n`), p, Buffer.from('\r\n'));
  chunks.push(Buffer.from(`--${b}--\r\n`));
  return Buffer.concat(chunks);
}
