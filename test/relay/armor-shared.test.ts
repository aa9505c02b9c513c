// Issue 16: the armor of a relay's shared encrypted data is made once per payload and shared by
// every member's copy; each copy's checksum joins its own key packet's CRC-24 to the shared part's
// (crc24Concat). Checked against the CRC-24 of the whole bytes and a fresh, uncached armor.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { crc24, crc24Concat, crc24Line } from '../../src/pgp/crc24.js';
import { armorCopy } from '../../src/pgp/encode.js';

t.test('crc24Concat joins two registers as if the bytes were read in one go', async (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 3000 }), fc.integer({ min: 0, max: 0xffffff }), (a, b, start) => {
      return crc24Concat(crc24(a, start), crc24(b, 0), b.length) === crc24(Buffer.concat([a, b]), start);
    }),
    { numRuns: 300 },
  );
  const a = randomBytes(97);
  const b = randomBytes(3 * 1024 * 1024 + 5);
  t.equal(crc24Concat(crc24(a), crc24(b, 0), b.length), crc24(Buffer.concat([a, b])), 'megabytes');
  t.equal(crc24Concat(crc24(a), 0, 0), crc24(a), 'nothing appended');
});

/** Base64 lines of 64 characters, as the armor body must read (the reference, no pieces, no cache). */
function reference(kp: Uint8Array, data: Uint8Array, eol: string): string {
  const whole = Buffer.concat([kp, data]);
  const body = whole.toString('base64').replace(/.{64}/g, `$&${eol}`);
  return `-----BEGIN PGP MESSAGE-----${eol}${eol}${body}${body.endsWith(eol) || body === '' ? '' : eol}${crc24Line(crc24(whole))}${eol}-----END PGP MESSAGE-----${eol}`;
}

t.test('copies sharing one payload: each is its own key packet plus the shared armor, byte for byte', async (t) => {
  const data = randomBytes(2 * 48 * 16_384 + 1234); // three blocks
  const copies: Array<[Uint8Array, string]> = [];
  for (const kpLength of [94, 94, 95, 396, 0, 48, 47]) {
    for (const eol of ['\r\n', '\n']) {
      const kp = randomBytes(kpLength);
      const pieces = await armorCopy(kp, data, eol);
      t.equal(Buffer.concat(pieces).toString('latin1'), reference(kp, data, eol), `key packet of ${kpLength} bytes, ${JSON.stringify(eol)}`);
      t.equal(pieces.at(-1)!.toString('latin1'), `-----END PGP MESSAGE-----${eol}`, 'the last piece is the END line');
      copies.push([kp, eol]);
    }
  }
  // Concurrent copies (the outbox delivers several at once) share the armor being made.
  const kps = Array.from({ length: 8 }, () => randomBytes(94));
  const fresh = randomBytes(100_000);
  const all = await Promise.all(kps.map((kp) => armorCopy(kp, fresh, '\r\n')));
  all.forEach((pieces, i) => t.equal(Buffer.concat(pieces).toString('latin1'), reference(kps[i]!, fresh, '\r\n'), `concurrent copy ${i + 1}`));
  t.equal(all[0]![2], all[1]![2], 'the shared pieces are the same buffers, not copies');
});

t.test('data shorter than the key packet’s last line, and empty data', async (t) => {
  for (const [kp, n] of [
    [94, 0],
    [94, 1],
    [94, 1],
    [47, 2],
    [0, 0],
    [1, 47],
  ] as const) {
    const key = randomBytes(kp);
    const data = randomBytes(n);
    t.equal(Buffer.concat(await armorCopy(key, data, '\r\n')).toString('latin1'), reference(key, data, '\r\n'), `${kp} + ${n} bytes`);
  }
});
