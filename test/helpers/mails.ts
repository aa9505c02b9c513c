// Mails as real clients shape them, built from parts made by gpg.
import { randomUUID } from 'node:crypto';

export interface Head {
  from: string;
  to: string;
  subject: string;
  messageId?: string;
  inReplyTo?: string;
  references?: string;
  extra?: string[];
}

function head(h: Head): string[] {
  return [
    `From: ${h.from}`,
    `To: ${h.to}`,
    `Subject: ${h.subject}`,
    `Date: ${new Date().toUTCString()}`,
    `Message-ID: ${h.messageId ?? `<${randomUUID()}@test.example>`}`,
    ...(h.inReplyTo ? [`In-Reply-To: ${h.inReplyTo}`] : []),
    ...(h.references ? [`References: ${h.references}`] : []),
    ...(h.extra ?? []),
    'MIME-Version: 1.0',
  ];
}

const crlf = (lines: string[]): Buffer => Buffer.from(lines.join('\r\n').replace(/\r?\n/g, '\r\n'));

/** RFC 3156 multipart/encrypted around gpg's armored output. */
export function pgpMime(h: Head, armored: string): Buffer {
  return crlf([
    ...head(h),
    'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="enc-b"',
    '',
    'This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)',
    '--enc-b',
    'Content-Type: application/pgp-encrypted',
    '',
    'Version: 1',
    '',
    '--enc-b',
    'Content-Type: application/octet-stream; name="encrypted.asc"',
    '',
    armored.trimEnd(),
    '',
    '--enc-b--',
    '',
  ]);
}

/** A text/plain mail (inline PGP goes in the body). */
export function plainMail(h: Head, body: string): Buffer {
  return crlf([...head(h), 'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit', '', body]);
}

/** A MIME entity for the inside of an encrypted or signed mail. */
export function textPart(body: string): Buffer {
  return crlf(['Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit', '', body]);
}

/** A multipart/mixed entity with a text part and one base64 attachment. */
export function withAttachment(body: string, name: string, type: string, data: Buffer): Buffer {
  const b64 = data.toString('base64').replace(/.{76}/g, '$&\n');
  return crlf([
    'Content-Type: multipart/mixed; boundary="mix-b"',
    '',
    '--mix-b',
    'Content-Type: text/plain; charset=utf-8',
    '',
    body,
    '--mix-b',
    `Content-Type: ${type}; name="${name}"`,
    `Content-Disposition: attachment; filename="${name}"`,
    'Content-Transfer-Encoding: base64',
    '',
    b64,
    '--mix-b--',
    '',
  ]);
}

/** RFC 3156 multipart/signed: `signed` is the exact part, `signature` gpg's detached signature over its CRLF form. */
export function pgpSigned(h: Head, signed: Buffer, signature: string): Buffer {
  return Buffer.concat([
    crlf([...head(h), 'Content-Type: multipart/signed; micalg=pgp-sha512; protocol="application/pgp-signature"; boundary="sig-b"', '', '--sig-b', '']),
    signed,
    crlf(['', '--sig-b', 'Content-Type: application/pgp-signature; name="signature.asc"', '', signature.trimEnd(), '', '--sig-b--', '']),
  ]);
}

/** A standard RFC 3464 DSN as Postfix writes it. */
export function dsn(action: 'failed' | 'delayed', rcpt: string): Buffer {
  return Buffer.from(
    [
      'From: MAILER-DAEMON@mx.libfoo.example (Mail Delivery System)',
      'To: security-bounces@example.org',
      `Subject: ${action === 'failed' ? 'Undelivered Mail Returned to Sender' : 'Delayed Mail (still being retried)'}`,
      'Auto-Submitted: auto-replied',
      'MIME-Version: 1.0',
      'Content-Type: multipart/report; report-type=delivery-status; boundary="B"',
      '',
      '--B',
      'Content-Type: text/plain',
      '',
      'This is the mail system.',
      '--B',
      'Content-Type: message/delivery-status',
      '',
      'Reporting-MTA: dns; mx.libfoo.example',
      '',
      `Final-Recipient: rfc822; ${rcpt}`,
      `Action: ${action}`,
      `Status: ${action === 'failed' ? '5.1.1' : '4.4.1'}`,
      '--B--',
      '',
    ].join('\r\n'),
  );
}
