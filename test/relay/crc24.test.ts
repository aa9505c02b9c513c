// The armor checksum (src/pgp/crc24.ts) against known vectors, a bit-by-bit reference, OpenPGP.js's
// own armor and `gpg --enarmor`; incremental use; its cost on a 25 MB buffer.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import * as openpgp from 'openpgp';
import { CRC24_INIT, crc24, crc24Line } from '../../src/pgp/crc24.js';

/** RFC 4880 6.1's C code, transcribed: one bit at a time. */
function reference(bytes: Uint8Array): number {
  let crc = 0xb704ce;
  for (const b of bytes) {
    crc ^= b << 16;
    for (let i = 0; i < 8; i++) {
      crc <<= 1;
      if (crc & 0x1000000) crc ^= 0x1864cfb;
    }
  }
  return crc & 0xffffff;
}

/** The checksum line of an armor text (the line that starts with `=`). */
const checksumOf = (armored: string): string | undefined => /^=[A-Za-z0-9+/]{4}$/m.exec(armored)?.[0];

const home = mkdtempSync(join(tmpdir(), 'vmtd-crc24-'));
t.teardown(() => rmSync(home, { recursive: true, force: true }));
const gpg = (args: string[], input: Buffer | string) => spawnSync('gpg', ['--batch', '--no-tty', ...args], { env: { ...process.env, GNUPGHOME: home }, input, maxBuffer: 64 << 20 });

t.test('known vectors', async (t) => {
  t.equal(crc24(new Uint8Array(0)), 0xb704ce, 'nothing: the initial value');
  t.equal(CRC24_INIT, 0xb704ce);
  t.equal(crc24(Buffer.from('123456789')), 0x21cf02, 'the CRC-24/OPENPGP check value');
  t.equal(crc24Line(0xb704ce), '=twTO', 'the line is = and the base64 of three bytes, most significant first');
  t.equal(crc24Line(0x21cf02), '=Ic8C');
  t.equal(crc24Line(0), '=AAAA');
  t.equal(crc24Line(0xffffff), '=////');
});

t.test('the same as RFC 4880’s bitwise code, for every length up to 100 and random lengths beyond', async (t) => {
  const data = randomBytes(5000);
  let bad = 0;
  for (let n = 0; n <= 100; n++) if (crc24(data.subarray(0, n)) !== reference(data.subarray(0, n))) bad++;
  t.equal(bad, 0, 'lengths 0 to 100 (every tail length of the 12-byte steps)');
  fc.assert(fc.property(fc.uint8Array({ maxLength: 3000 }), (bytes) => crc24(bytes) === reference(bytes)));
});

t.test('incremental: any split gives the CRC of the whole', async (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 2000 }), fc.array(fc.nat(), { maxLength: 5 }), (bytes, cuts) => {
      const at = [0, ...cuts.map((c) => c % (bytes.length + 1)).sort((a, b) => a - b), bytes.length];
      let crc = CRC24_INIT;
      for (let i = 1; i < at.length; i++) crc = crc24(bytes.subarray(at[i - 1], at[i]), crc);
      return crc === crc24(bytes);
    }),
  );
  t.pass('checked by fast-check');
});

t.test("the same line as OpenPGP.js's armor writes (its own CRC-24 code)", async (t) => {
  let bad = 0;
  for (const n of [0, 1, 2, 3, 47, 48, 49, 1000, 65_536, 786_432 + 1]) {
    const bytes = randomBytes(n);
    const armored = openpgp.armor(openpgp.enums.armor.message, bytes, undefined, undefined, undefined, true);
    if (checksumOf(armored) !== crc24Line(crc24(bytes))) bad++;
  }
  t.equal(bad, 0);
});

t.test('the same line as `gpg --enarmor` writes; gpg rejects a wrong one', async (t) => {
  for (const n of [0, 1, 2, 3, 300, 301, 302, 100_000]) {
    const bytes = randomBytes(n);
    const r = gpg(['--enarmor'], bytes);
    t.equal(r.status, 0, `${n} bytes: gpg --enarmor`);
    t.equal(checksumOf(r.stdout.toString()), crc24Line(crc24(bytes)), `${n} bytes: same checksum line as gpg`);
  }
  const bytes = randomBytes(300);
  const line = crc24Line(crc24(bytes));
  const wrong = crc24Line(crc24(bytes) ^ 1);
  const armor = (l: string) => `-----BEGIN PGP ARMORED FILE-----\n\n${bytes.toString('base64').replace(/.{64}/g, '$&\n')}\n${l}\n-----END PGP ARMORED FILE-----\n`;
  const good = gpg(['--dearmor'], armor(line));
  t.equal(good.status, 0, 'gpg --dearmor accepts our line');
  t.same(good.stdout, bytes, '… and gives the bytes back');
  const bad = gpg(['--dearmor'], armor(wrong));
  t.match(bad.stderr.toString(), /CRC error/, 'gpg checks the line: a wrong one is a CRC error');
});

t.test('cost on a 25 MB buffer', async (t) => {
  const big = randomBytes(25_000_000);
  crc24(big.subarray(0, 1 << 20)); // warm-up
  const times: number[] = [];
  let crc = 0;
  for (let i = 0; i < 3; i++) {
    const start = process.hrtime.bigint();
    crc = crc24(big);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  let chunked = CRC24_INIT;
  for (let at = 0; at < big.length; at += 48 * 16_384) chunked = crc24(big.subarray(at, at + 48 * 16_384), chunked);
  t.equal(chunked, crc, 'block by block as armorCopy does: the same CRC');
  const best = Math.min(...times);
  t.comment(`crc24 over 25 MB: ${times.map((ms) => ms.toFixed(1)).join(', ')} ms (best ${best.toFixed(1)} ms)`);
  // How fast it is, is the bench's business (npm run bench); the test only reports it.
});
