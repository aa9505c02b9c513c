// Inbound armor is decoded natively (large reports); it must read every armor real clients write
// and refuse what is not armor.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import * as openpgp from 'openpgp';
import { ArmorError, dearmor } from '../../src/pgp/dearmor.js';

t.test('reads armor with headers, checksum, CRLF and trailing spaces as OpenPGP.js does', async (t) => {
  for (const size of [1, 47, 48, 49, 1000, 100_000, 3_000_001]) {
    const data = randomBytes(size);
    const armored = openpgp.armor(openpgp.enums.armor.message, data, undefined, undefined, 'a comment', true);
    t.same(Buffer.from(await dearmor(Buffer.from(armored))), data, `${size} bytes, with Comment header and CRC`);
    const mangled = armored.replace(/\n/g, ' \r\n');
    t.same(Buffer.from(await dearmor(Buffer.from(`some text before\n${mangled}\nand after`))), data, `${size} bytes, CRLF, trailing spaces, text around`);
    const bare = armored.replace(/^Comment: .*\n/m, '').replace(/\n=[A-Za-z0-9+/]{4}\n/, '\n');
    t.same(Buffer.from(await dearmor(Buffer.from(bare))), data, `${size} bytes, no headers, no checksum`);
  }
});

/** `data` as armor whose base64 is cut into lines of `width` characters, each ended by `eol`. */
const armorWith = (data: Buffer, width: number, eol: string): Buffer =>
  Buffer.from(`-----BEGIN PGP MESSAGE-----${eol}${eol}${(data.toString('base64').match(new RegExp(`.{1,${width}}`, 'g')) ?? []).join(eol)}${eol}-----END PGP MESSAGE-----${eol}`);

t.test('any line length, line end and stray blanks inside the base64: the same bytes (one slice)', async (t) => {
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 3000 }), fc.integer({ min: 1, max: 120 }), fc.constantFrom('\n', '\r\n', ' \r\n', '\t\n'), async (bytes, width, eol) => {
      const data = Buffer.from(bytes);
      return Buffer.from(await dearmor(armorWith(data, width, eol))).equals(data);
    }),
    { numRuns: 300 },
  );
  t.pass('300 shapes read back byte for byte');
});

t.test('a body over several slices, its lines not a multiple of four characters: the same bytes', async (t) => {
  const data = randomBytes(7_000_001);
  for (const [width, eol] of [[61, '\n'], [77, '\r\n'], [64, ' \n']] as const) {
    t.ok(Buffer.from(await dearmor(armorWith(data, width, eol))).equals(data), `lines of ${width} characters, ${JSON.stringify(eol)}`);
  }
});

t.test('refuses what is not armor', async (t) => {
  await t.rejects(dearmor(Buffer.from('-----BEGIN PGP MESSAGE-----\n\nAAAA*AAA\n-----END PGP MESSAGE-----\n')), ArmorError, 'a character outside base64');
  await t.rejects(dearmor(Buffer.from('-----BEGIN PGP MESSAGE-----\n\n-----END PGP MESSAGE-----\n')), ArmorError, 'an empty body');
  await t.rejects(dearmor(Buffer.from('-----BEGIN PGP MESSAGE-----\n\nAAAA\n')), ArmorError, 'no END line');
  await t.rejects(dearmor(Buffer.from('-----BEGIN PGP MESSAGE-----\nVersion: x\n<script>: y\n\nAAAA\n-----END PGP MESSAGE-----\n')), ArmorError, 'a header that is not a header');
});
