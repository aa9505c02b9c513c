// A copy's armor is built in pieces (so a large relay never stalls the event loop); joined, the
// pieces must be exactly the RFC 4880 armor of key packet + shared data, whatever the sizes
// (with its CRC-24 line: armor-checksum.test.ts).
import t from 'tap';
import { randomBytes } from 'node:crypto';
import * as openpgp from 'openpgp';
import { armorCopy } from '../../src/pgp/encode.js';

const block = 48 * 16_384;

t.test('pieces join to one well-formed armor at every block boundary', async (t) => {
  for (const [kp, size] of [[96, 0], [96, 10], [524, block - 524], [524, block - 523], [97, block], [96, 3 * block + 17], [1000, 2 * block - 1000 + 48]] as const) {
    const keyPacket = randomBytes(kp);
    const data = randomBytes(size);
    const pieces = await armorCopy(keyPacket, data, '\r\n');
    const text = Buffer.concat(pieces).toString('latin1');
    const lines = text.split('\r\n');
    t.equal(lines[0], '-----BEGIN PGP MESSAGE-----', `${kp}+${size}: header`);
    t.equal(lines.at(-2), '-----END PGP MESSAGE-----', `${kp}+${size}: footer`);
    t.match(lines.at(-3), /^=[A-Za-z0-9+/]{4}$/, `${kp}+${size}: the CRC-24 line before the footer`);
    const body = lines.slice(2, -3);
    t.ok(body.slice(0, -1).every((l) => l.length === 64) && (body.at(-1)?.length ?? 0) <= 64, `${kp}+${size}: lines of 64 characters`);
    t.same(Buffer.from(body.join(''), 'base64'), Buffer.concat([keyPacket, data]), `${kp}+${size}: the bytes round-trip`);
    const { data: unarmored } = await openpgp.unarmor(text.replace(/\r\n/g, '\n'));
    t.same(Buffer.from(unarmored as Uint8Array), Buffer.concat([keyPacket, data]), `${kp}+${size}: OpenPGP.js reads the armor`);
  }
});
