// Issue 16: encrypted data up to 4 MiB is decrypted whole (OpenPGP.js checks its integrity before
// returning anything); a larger one is streamed (allowUnauthenticatedStream) so that a large report
// is not buffered and copied in one go, and vmtd still uses nothing of a message whose integrity
// check fails. Both ways are checked, on a 1 MiB and a 5 MiB attachment: intact, tampered in the
// middle and at the end (where the modification detection code is), and cut short.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import * as openpgp from 'openpgp';
import { decodeMessage, type DecodeKeys } from '../../src/pgp/decode.js';
import { dearmor } from '../../src/pgp/dearmor.js';

const { privateKey, publicKey } = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ email: 'security@example.org' }], format: 'object' });
const keys: DecodeKeys = { decryption: [privateKey], verification: [publicKey], date: new Date() };

const pgpMime = (armored: string): Buffer =>
  Buffer.from(
    'From: r@reporter.example\r\nTo: security@example.org\r\nSubject: report\r\nMIME-Version: 1.0\r\n' +
      'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="b"\r\n\r\n' +
      '--b\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n\r\n' +
      `--b\r\nContent-Type: application/octet-stream\r\n\r\n${armored.replace(/\r?\n/g, '\r\n')}\r\n--b--\r\n`,
  );

const entity = (payload: Buffer): Buffer =>
  Buffer.concat([Buffer.from('Content-Type: application/octet-stream; name="core"\r\nContent-Transfer-Encoding: base64\r\n\r\n'), Buffer.from(payload.toString('base64').replace(/.{76}/g, '$&\r\n'))]);

const armor = (b: Uint8Array): string => openpgp.armor(openpgp.enums.armor.message, b);

for (const [way, size] of [['decrypted whole', 1 << 20], ['streamed', 5 << 20]] as const) {
  const plain = entity(randomBytes(size));
  const binary = Buffer.from(await dearmor(Buffer.from(await openpgp.encrypt({ message: await openpgp.createMessage({ binary: plain }), encryptionKeys: publicKey, config: { aeadProtect: false } }))));

  t.test(`${way} (${size >> 20} MiB attachment)`, async (t) => {
    t.test('an intact message decodes whole', async (t) => {
      const r = await decodeMessage(pgpMime(armor(binary)), keys);
      t.ok(r.ok);
      if (r.ok) t.ok(r.decoded.content.equals(plain), 'byte for byte');
    });

    for (const [label, at] of [
      ['in the middle', Math.floor(binary.length / 2)],
      ['in the last block (the modification detection code)', binary.length - 5],
    ] as const) {
      t.test(`a byte changed ${label}: refused, nothing used`, async (t) => {
        const tampered = Buffer.from(binary);
        tampered[at] = tampered[at]! ^ 0x01;
        const r = await decodeMessage(pgpMime(armor(tampered)), keys);
        t.notOk(r.ok);
        if (!r.ok) t.match(r.reason, /cannot decrypt|broken/);
      });
    }

    t.test('signed and encrypted, tampered: refused, and no promise of OpenPGP.js left to reject unhandled', async (t) => {
      const unhandled: unknown[] = [];
      const onUnhandled = (err: unknown): void => void unhandled.push(err);
      process.on('unhandledRejection', onUnhandled);
      t.teardown(() => void process.off('unhandledRejection', onUnhandled));
      const signed = Buffer.from(
        await dearmor(Buffer.from(await openpgp.encrypt({ message: await openpgp.createMessage({ binary: plain }), encryptionKeys: publicKey, signingKeys: privateKey, config: { aeadProtect: false } }))),
      );
      // Judged at a moment after the signature was made.
      const later: DecodeKeys = { ...keys, date: new Date(Date.now() + 5000) };
      const good = await decodeMessage(pgpMime(armor(signed)), later);
      t.same(good.ok ? good.decoded.signature.state : good.reason, 'good', 'intact: decoded, signature good');
      for (const at of [Math.floor(signed.length / 2), signed.length - 5]) {
        const tampered = Buffer.from(signed);
        tampered[at] = tampered[at]! ^ 0x01;
        const r = await decodeMessage(pgpMime(armor(tampered)), later);
        t.notOk(r.ok, `tampered at ${at}: refused`);
      }
      await new Promise((r) => setTimeout(r, 200));
      if (typeof global.gc === 'function') global.gc();
      await new Promise((r) => setTimeout(r, 50));
      t.same(unhandled.map(String), [], 'no unhandled rejection');
    });

    t.test('a message cut short: refused', async (t) => {
      const r = await decodeMessage(pgpMime(armor(binary.subarray(0, binary.length - 1000))), keys);
      t.notOk(r.ok);
    });
  });
}
