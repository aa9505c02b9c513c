/** Thrown when a text is not well-formed ASCII armor. */
export class ArmorError extends Error {
  override name = 'ArmorError';
}

const BEGIN = '-----BEGIN PGP MESSAGE-----';
const END = '-----END PGP MESSAGE-----';
const HEADER_LINE = /^[A-Za-z][A-Za-z0-9-]*: /;
const NOT_BASE64 = /[^A-Za-z0-9+/=\s]/;
const CHECKSUM_LINE = /(?:^|\n)[ \t]*=[A-Za-z0-9+/]{4}\s*$/;

/**
 * The binary packets of one armored OpenPGP message (RFC 4880 6.2): armor headers and the optional
 * CRC-24 line are skipped, anything but base64 in the body is an ArmorError. Decoded with Node's
 * native base64, because OpenPGP.js's JavaScript unarmoring of a 25 MB report held the event loop
 * for about half a second.
 */
export function dearmor(armored: string): Uint8Array {
  const begin = armored.indexOf(BEGIN);
  const end = armored.indexOf(END, begin);
  if (begin < 0 || end < 0) throw new ArmorError('no complete armored message');
  let at = armored.indexOf('\n', begin + BEGIN.length) + 1;
  if (at === 0 || at > end) throw new ArmorError('armored message without a body');
  for (;;) {
    const nl = armored.indexOf('\n', at);
    const line = armored.slice(at, nl < 0 || nl > end ? end : nl).trim();
    if (HEADER_LINE.test(line) && nl >= 0 && nl < end) at = nl + 1;
    else {
      if (line === '' && nl >= 0 && nl < end) at = nl + 1;
      break;
    }
  }
  let body = armored.slice(at, end);
  const tailStart = Math.max(0, body.length - 40);
  const checksum = CHECKSUM_LINE.exec(body.slice(tailStart));
  if (checksum) body = body.slice(0, tailStart + checksum.index);
  if (NOT_BASE64.test(body)) throw new ArmorError('armor body is not base64');
  const data = Buffer.from(body, 'base64');
  if (data.length === 0) throw new ArmorError('armored message without a body');
  return data;
}
