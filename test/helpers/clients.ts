// Mail in the layouts particular clients write, around armor made by gpg: Mailvelope (webmail),
// iPGMail (iOS), Thunderbird with protected headers. Shapes follow what these clients send; see
// /work/shared/interop/README.md for the corpus of real client mail they were checked against.
import { randomUUID } from 'node:crypto';

export interface ClientHead {
  from: string;
  to: string;
  subject: string;
  messageId?: string;
}

const crlf = (lines: string[]): Buffer => Buffer.from(lines.join('\r\n').replace(/\r?\n/g, '\r\n'));
/** Quoted-printable (RFC 2045 6.7) of UTF-8 text: lines kept, soft breaks at 76 columns. */
function qp(text: string): string {
  return text
    .split(/\r?\n/)
    .map((line) => {
      let enc = '';
      for (const byte of Buffer.from(line, 'utf8')) enc += byte >= 33 && byte <= 126 && byte !== 61 ? String.fromCharCode(byte) : byte === 32 ? ' ' : `=${byte.toString(16).toUpperCase().padStart(2, '0')}`;
      enc = enc.replace(/ $/, '=20');
      const out: string[] = [];
      while (enc.length > 76) {
        let cut = 75;
        if (enc[cut - 1] === '=') cut -= 1;
        else if (enc[cut - 2] === '=') cut -= 2;
        out.push(enc.slice(0, cut) + '=');
        enc = enc.slice(cut);
      }
      out.push(enc);
      return out.join('\n');
    })
    .join('\n');
}

/** Mailvelope's armor: its own Version and Comment headers in place of gpg's. */
export function mailvelopeArmor(gpgArmor: string): string {
  const lines = gpgArmor.trimEnd().split(/\r?\n/);
  const blank = lines.indexOf('');
  return ['-----BEGIN PGP MESSAGE-----', 'Version: Mailvelope v6.1.0', 'Comment: https://www.mailvelope.com', ...lines.slice(blank)].join('\n');
}

/**
 * What Mailvelope's Gmail integration sends: multipart/alternative, the armor in text/plain, and
 * the same armor as HTML in text/html (<br> line breaks, &nbsp;, the Comment URL made a link),
 * both quoted-printable as Gmail writes them.
 */
export function mailvelope(h: ClientHead, armor: string): Buffer {
  const html =
    '<div dir="ltr">' +
    armor
      .split('\n')
      .map((l) => l.replace(/^Version: /, 'Version:&nbsp;').replace(/(https:\/\/www\.mailvelope\.com)/, '<a href="$1">$1</a>'))
      .join('<br>') +
    '<br>&nbsp;</div>';
  return crlf([
    'MIME-Version: 1.0',
    `From: ${h.from}`,
    `Date: ${new Date().toUTCString()}`,
    `Message-ID: ${h.messageId ?? `<CAF${randomUUID().replace(/-/g, '')}@mail.gmail.com>`}`,
    `Subject: ${h.subject}`,
    `To: ${h.to}`,
    'Content-Type: multipart/alternative; boundary="000000000000c0ffee05f1d2e3a4"',
    '',
    '--000000000000c0ffee05f1d2e3a4',
    'Content-Type: text/plain; charset="UTF-8"',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    qp(armor + '\n'),
    '--000000000000c0ffee05f1d2e3a4',
    'Content-Type: text/html; charset="UTF-8"',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    qp(html + '\n'),
    '--000000000000c0ffee05f1d2e3a4--',
    '',
  ]);
}

/**
 * iPGMail's layout: multipart/mixed with an (empty) text/plain part and the armored message itself
 * in a part typed application/pgp-encrypted (where RFC 3156 would have "Version: 1").
 */
export function ipgmail(h: ClientHead, armor: string, text = ''): Buffer {
  return crlf([
    'Content-Type: multipart/mixed; boundary="Apple-Mail-5C1B2E9A-7D44-4F0B-9E57-3A6C1D2B8F10"',
    'Content-Transfer-Encoding: 7bit',
    `From: ${h.from}`,
    'Mime-Version: 1.0 (1.0)',
    `Date: ${new Date().toUTCString()}`,
    `Subject: ${h.subject}`,
    `Message-Id: ${h.messageId ?? `<${randomUUID().toUpperCase()}@reporter.example>`}`,
    `To: ${h.to}`,
    'X-Mailer: iPGMail (2024.1)',
    '',
    '',
    '--Apple-Mail-5C1B2E9A-7D44-4F0B-9E57-3A6C1D2B8F10',
    'Content-Type: text/plain;',
    '\tcharset=us-ascii',
    'Content-Transfer-Encoding: 7bit',
    '',
    text,
    '--Apple-Mail-5C1B2E9A-7D44-4F0B-9E57-3A6C1D2B8F10',
    'Content-Type: application/pgp-encrypted;',
    '\tname=PGPMessage.asc',
    'Content-Disposition: inline;',
    '\tfilename=PGPMessage.asc',
    'Content-Transfer-Encoding: 7bit',
    '',
    armor.trimEnd(),
    '--Apple-Mail-5C1B2E9A-7D44-4F0B-9E57-3A6C1D2B8F10--',
    '',
  ]);
}

/** The entity Thunderbird encrypts when protected headers are on: the real Subject inside. */
export function thunderbirdInner(h: ClientHead & { encodedSubject: string }, text: string): Buffer {
  return crlf([
    'Content-Type: multipart/mixed; boundary="------------6Ay0TSv3HE2l1uDhp0XtbB3Q";',
    ' protected-headers="v1"',
    `From: ${h.from}`,
    `To: ${h.to}`,
    `Message-ID: ${h.messageId}`,
    `Subject: ${h.encodedSubject}`,
    '',
    '--------------6Ay0TSv3HE2l1uDhp0XtbB3Q',
    'Content-Type: text/plain; charset=UTF-8; format=flowed',
    'Content-Transfer-Encoding: 8bit',
    '',
    text,
    '',
    '--------------6Ay0TSv3HE2l1uDhp0XtbB3Q--',
    '',
  ]);
}

/** Thunderbird's PGP/MIME message around that entity: the outer Subject is "...". */
export function thunderbirdEncrypted(h: ClientHead, armor: string): Buffer {
  return crlf([
    `Message-ID: ${h.messageId}`,
    `Date: ${new Date().toUTCString()}`,
    'MIME-Version: 1.0',
    'User-Agent: Mozilla Thunderbird',
    'Content-Language: de-DE',
    `To: ${h.to}`,
    `From: ${h.from}`,
    'Subject: ...',
    'Content-Type: multipart/encrypted;',
    ' protocol="application/pgp-encrypted";',
    ' boundary="------------Pj1d0mBXYBNmyUHTSx8lIpDa"',
    '',
    'This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)',
    '--------------Pj1d0mBXYBNmyUHTSx8lIpDa',
    'Content-Type: application/pgp-encrypted',
    'Content-Description: PGP/MIME version identification',
    '',
    'Version: 1',
    '',
    '--------------Pj1d0mBXYBNmyUHTSx8lIpDa',
    'Content-Type: application/octet-stream; name="encrypted.asc"',
    'Content-Description: OpenPGP encrypted message',
    'Content-Disposition: inline; filename="encrypted.asc"',
    '',
    armor.trimEnd(),
    '',
    '--------------Pj1d0mBXYBNmyUHTSx8lIpDa--',
    '',
  ]);
}
