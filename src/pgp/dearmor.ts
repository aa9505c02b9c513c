import { setImmediate } from 'node:timers/promises';

/** Thrown when a text is not well-formed ASCII armor. */
export class ArmorError extends Error {
  override name = 'ArmorError';
}

const BEGIN = Buffer.from('-----BEGIN PGP MESSAGE-----');
const END = Buffer.from('-----END PGP MESSAGE-----');
const NL = 0x0a;
const HEADER_LINE = /^[A-Za-z][A-Za-z0-9-]*: /;
const NOT_BASE64 = /[^A-Za-z0-9+/=\s]/;
const CHECKSUM_LINE = /(?:^|\n)[ \t]*=[A-Za-z0-9+/]{4}\s*$/;
/** Armor decoded per event-loop turn: ~4 ms of work (a 1 MB report's armor is one slice). */
const SLICE = 4 << 20;

/** The first armored OpenPGP message in `bytes` (BEGIN line to END line), or undefined. */
export function findArmor(bytes: Buffer): Buffer | undefined {
  const begin = bytes.indexOf(BEGIN);
  const end = begin < 0 ? -1 : bytes.indexOf(END, begin);
  return end < 0 ? undefined : bytes.subarray(begin, end + END.length);
}

/**
 * The binary packets of one armored OpenPGP message (RFC 4880 6.2), given as ASCII bytes: armor
 * headers and the optional CRC-24 line are skipped, anything but base64 in the body is an
 * ArmorError. Decoded natively in slices of 4 MiB, one per event-loop turn, because OpenPGP.js's
 * JavaScript unarmoring of a 25 MB report held the event loop for about half a second.
 */
export async function dearmor(armored: Buffer): Promise<Uint8Array> {
  const begin = armored.indexOf(BEGIN);
  const end = begin < 0 ? -1 : armored.indexOf(END, begin);
  if (end < 0) throw new ArmorError('no complete armored message');
  let at = armored.indexOf(NL, begin + BEGIN.length) + 1;
  if (at === 0 || at > end) throw new ArmorError('armored message without a body');
  for (;;) {
    const nl = armored.indexOf(NL, at);
    const inside = nl >= 0 && nl < end;
    const line = armored.toString('latin1', at, inside ? nl : end).trim();
    if (HEADER_LINE.test(line) && inside) at = nl + 1;
    else {
      if (line === '' && inside) at = nl + 1;
      break;
    }
  }
  let bodyEnd = end;
  const tailStart = Math.max(at, end - 40);
  const checksum = CHECKSUM_LINE.exec(armored.toString('latin1', tailStart, end));
  if (checksum) bodyEnd = tailStart + checksum.index;

  // At most 3 bytes for every 4 characters of the body: decoded in place, no list of slices to join.
  const out = Buffer.allocUnsafe(Math.ceil(((bodyEnd - at) * 3) / 4) + 3);
  let length = 0;
  let carry = '';
  for (let from = at; from < bodyEnd; ) {
    let to = Math.min(bodyEnd, from + SLICE);
    if (to < bodyEnd) {
      const nl = armored.indexOf(NL, to);
      to = nl < 0 || nl >= bodyEnd ? bodyEnd : nl + 1;
    }
    const text = armored.toString('latin1', from, to);
    if (NOT_BASE64.test(text)) throw new ArmorError('armor body is not base64');
    if (to === bodyEnd && carry === '') {
      // The only or last slice: Node's base64 decoder skips the line breaks itself (no copy without them).
      length += out.write(text, length, 'base64');
    } else {
      // Whole groups of four characters decode on their own; the rest waits for the next slice.
      const clean = carry + text.replace(/\s+/g, '');
      const whole = to === bodyEnd ? clean.length : clean.length - (clean.length % 4);
      length += out.write(clean.slice(0, whole), length, 'base64');
      carry = clean.slice(whole);
    }
    from = to;
    if (from < bodyEnd) await setImmediate();
  }
  if (length === 0) throw new ArmorError('armored message without a body');
  return out.subarray(0, length);
}
