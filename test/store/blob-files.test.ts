// Large blobs in files: what is stored sealed reads back whole, is sealed on disk, and any
// tampering is refused.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INLINE_LIMIT, readSealed, readStoredBytes, removeOrphanFiles, storeBytes, storeSealed } from '../../src/store/blob-files.js';
import { collectGarbageNow } from '../../src/memory.js';
import { sealerFor } from '../../src/store/seal.js';

const sealer = sealerFor(randomBytes(32));

t.test('small blobs stay inline, large ones become sealed 0600 files that read back whole', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vmtd-blobs-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const small = await storeSealed(sealer, dir, Buffer.from('small secret'));
  t.ok(small.inline && small.file === null, 'small: inline');
  t.equal(sealer.open(small.inline!).toString(), 'small secret');

  const marker = Buffer.from('EMBARGOED-MARKER-31337');
  const plain = Buffer.concat([marker, randomBytes(3 * INLINE_LIMIT + 12345), marker]);
  const large = await storeSealed(sealer, dir, plain);
  t.ok(large.file && large.inline === null, 'large: a file');
  const path = join(dir, large.file!);
  t.equal(statSync(path).mode & 0o777, 0o600, 'mode 0600');
  t.notOk(readFileSync(path).includes(marker), 'no plaintext on disk');
  t.same(await readSealed(sealer, path), plain, 'reads back byte for byte');

  const bytes = readFileSync(path);
  bytes[bytes.length - 5]! ^= 1;
  writeFileSync(path, bytes);
  await t.rejects(readSealed(sealer, path), 'a flipped bit is refused');

  const ciphertext = randomBytes(INLINE_LIMIT + 1);
  const stored = await storeBytes(dir, ciphertext, '.pgp');
  t.same(readFileSync(join(dir, stored.file!)), ciphertext, 'ciphertext is stored as it is');

  t.same(removeOrphanFiles(dir, new Set([stored.file!])), [], 'fresh files are left alone (a row may be about to name them)');
  t.same(removeOrphanFiles(dir, new Set([stored.file!]), Date.now() + 3_600_000), [large.file!], 'older ones no row names are removed');
  t.same(readdirSync(dir), [stored.file!]);
});

t.test('a stored file reads back as written: from memory while this process holds the bytes, then from the file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vmtd-blobs-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  let data: Buffer | null = randomBytes(INLINE_LIMIT + 1);
  const copy = Buffer.from(data);
  const { file } = await storeBytes(dir, data, '.pgp');
  t.ok(file, 'a file');
  t.same(readFileSync(join(dir, file!)), copy, 'the file holds the bytes');
  const held = await readStoredBytes(dir, file!);
  t.equal(held.buffer, data.buffer, 'while held: the same memory, no second copy');
  data = null;
  collectGarbageNow();
  await new Promise((r) => setImmediate(r));
  collectGarbageNow();
  writeFileSync(join(dir, file!), Buffer.from('changed on disk'));
  t.equal((await readStoredBytes(dir, file!)).toString(), 'changed on disk', 'once let go: read from the file');
});

t.test('a stored file whose bytes in memory were handed to another thread since is read from the file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vmtd-blobs-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const data = new Uint8Array(randomBytes(INLINE_LIMIT + 7));
  const copy = Buffer.from(data);
  const { file } = await storeBytes(dir, data, '.pgp');
  structuredClone(data, { transfer: [data.buffer] }); // as a postMessage to a worker would
  t.equal(data.byteLength, 0, 'the memory is gone from here');
  t.same(await readStoredBytes(dir, file!), copy, 'read back whole, from the file');
});
