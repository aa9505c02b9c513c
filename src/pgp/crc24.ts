/**
 * The CRC-24 of OpenPGP ASCII armor (RFC 4880 section 6.1: initial value 0xB704CE, generator
 * 0x1864CFB, most significant bit first, no final XOR), and the armor's checksum line.
 *
 * vmtd writes the checksum line on every armored message it sends, although it is optional
 * (RFC 4880 6.2; RFC 9580 forbids it only for v6 and SEIPDv2 data): without it, GnuPG 2.2 reads
 * the END line as data when the base64 ends without `=` padding (GnuPG bug T7071), fails the
 * decryption, and GPGME clients show the team's signature as an error.
 *
 * Incremental: `crc24(b, crc24(a))` is the CRC of `a` followed by `b`, so large messages are
 * checked block by block. Table-driven, 12 bytes per step ("slicing by 12": twelve 256-entry
 * tables): about 20–35 ms for 25 MB here, against about 65 ms a byte at a time.
 */

/** The CRC-24 register before any data (RFC 4880 `CRC24_INIT`). */
export const CRC24_INIT = 0xb704ce;

const GENERATOR = 0x1864cfb;
const SLICES = 12;

/** TABLES[k][b]: the register after byte `b` followed by `k` zero bytes, starting from 0. */
const TABLES: Int32Array[] = (() => {
  const tables = Array.from({ length: SLICES }, () => new Int32Array(256));
  const t0 = tables[0]!;
  for (let b = 0; b < 256; b++) {
    let crc = b << 16;
    for (let bit = 0; bit < 8; bit++) {
      crc <<= 1;
      if (crc & 0x1000000) crc ^= GENERATOR;
    }
    t0[b] = crc;
  }
  for (let k = 1; k < SLICES; k++) {
    const prev = tables[k - 1]!;
    const t = tables[k]!;
    for (let b = 0; b < 256; b++) t[b] = ((prev[b]! << 8) & 0xffffff) ^ t0[prev[b]! >>> 16]!;
  }
  return tables;
})();

/** The CRC-24 register after `data`, starting from `crc` (the initial value by default). */
export function crc24(data: Uint8Array, crc = CRC24_INIT): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7, t8, t9, t10, t11] = TABLES as [Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array];
  const d = data;
  let c = crc & 0xffffff;
  let i = 0;
  // The three register bytes meet the first three data bytes; the other nine pass through tables alone.
  for (const whole = d.length - SLICES; i <= whole; i += SLICES) {
    c =
      t11[(c >>> 16) ^ d[i]!]! ^
      t10[((c >>> 8) & 0xff) ^ d[i + 1]!]! ^
      t9[(c & 0xff) ^ d[i + 2]!]! ^
      t8[d[i + 3]!]! ^
      t7[d[i + 4]!]! ^
      t6[d[i + 5]!]! ^
      t5[d[i + 6]!]! ^
      t4[d[i + 7]!]! ^
      t3[d[i + 8]!]! ^
      t2[d[i + 9]!]! ^
      t1[d[i + 10]!]! ^
      t0[d[i + 11]!]!;
  }
  for (; i < d.length; i++) c = ((c << 8) & 0xffffff) ^ t0[(c >>> 16) ^ d[i]!]!;
  return c;
}

/** The armor checksum line for a CRC-24 register, without line end: `=` and the base64 of its three bytes. */
export function crc24Line(crc: number): string {
  return `=${Buffer.from([(crc >>> 16) & 0xff, (crc >>> 8) & 0xff, crc & 0xff]).toString('base64')}`;
}

/** ZEROS[k][i]: the register after 2^k zero bytes, starting from the register with only bit i set. */
const ZEROS: Int32Array[] = [];

function zeroBytesMatrix(k: number): Int32Array {
  for (let j = ZEROS.length; j <= k; j++) {
    const m = new Int32Array(24);
    if (j === 0) {
      const t0 = TABLES[0]!;
      for (let i = 0; i < 24; i++) m[i] = (((1 << i) << 8) & 0xffffff) ^ t0[(1 << i) >>> 16]!;
    } else {
      const prev = ZEROS[j - 1]!;
      for (let i = 0; i < 24; i++) m[i] = applyMatrix(prev, prev[i]!);
    }
    ZEROS.push(m);
  }
  return ZEROS[k]!;
}

function applyMatrix(m: Int32Array, v: number): number {
  let r = 0;
  for (let i = 0; v !== 0; i++, v >>>= 1) if (v & 1) r ^= m[i]!;
  return r;
}

/**
 * The CRC-24 register after `a` then `b`, from the register after `a` (any start) and the register
 * after `b` started from 0 (`crc24(b, 0)`), without reading `b` again: the register update is
 * linear, so the two combine by carrying `crcA` through `lengthB` zero bytes (in log2 steps, as
 * zlib's crc32_combine does). Lets the armor of data shared by many copies be computed once.
 */
export function crc24Concat(crcA: number, crcB0: number, lengthB: number): number {
  let c = crcA & 0xffffff;
  for (let k = 0, n = lengthB; n > 0; k++, n = Math.floor(n / 2)) if (n % 2 === 1) c = applyMatrix(zeroBytesMatrix(k), c);
  return (c ^ crcB0) & 0xffffff;
}
