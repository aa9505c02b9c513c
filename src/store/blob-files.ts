import { randomBytes } from 'node:crypto';
import { readdirSync, statSync, unlinkSync } from 'node:fs';
import { open, readFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { SEALED_HEAD_BYTES, type Sealer } from './seal.js';

/**
 * Large blobs (spooled messages, message contents, relays' encrypted data) live in files of their
 * own under the data directory, written with asynchronous I/O: a 25 MB write into SQLite would hold
 * the event loop (and the database's write lock) for a quarter of a second. Small ones stay in
 * their rows: one fsync instead of three.
 */
export const INLINE_LIMIT = 1 << 20;

/** Stored bytes: in the row itself, or in the named file. */
export type Stored = { inline: Buffer; file: null } | { inline: null; file: string };

/** A new, unique file name with the given suffix. */
export const newBlobName = (suffix: string): string => `${Date.now()}-${randomBytes(8).toString('hex')}${suffix}`;

/** Writes all of `bytes` (at `position`, or where the file stands): a write may take only part. */
export async function writeFully(fh: FileHandle, bytes: Uint8Array, position?: number): Promise<void> {
  for (let at = 0; at < bytes.length; ) at += (await fh.write(bytes, at, bytes.length - at, position === undefined ? null : position + at)).bytesWritten;
}

/** Makes a directory's entries durable (after creating a file in it). */
export async function syncDirectory(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Writes a new file under `dir` with what `fill` writes through `write` (in order); resolves with
 * its name once file and directory entry are durable. `fill` may rewrite the start with `writeAt`.
 */
async function writeDurably(dir: string, suffix: string, fill: (write: (b: Uint8Array) => Promise<void>, writeAt: (b: Uint8Array, position: number) => Promise<void>) => Promise<void>): Promise<string> {
  const name = newBlobName(suffix);
  const fh = await open(join(dir, name), 'wx', 0o600);
  try {
    await fill(
      (b) => writeFully(fh, b),
      (b, position) => writeFully(fh, b, position),
    );
    await fh.sync();
  } finally {
    await fh.close();
  }
  await syncDirectory(dir);
  return name;
}

/**
 * Files storeBytes wrote, by name, with the bytes written, for as long as something else in this
 * process still holds them: a relay's encrypted data is written, then read back at once by the
 * outbox for its copies, and for a 25 MB report that was another 18 MB buffer beside the one still
 * in memory (issue 16). Names are unique, and such a file is never rewritten.
 */
const written = new Map<string, WeakRef<Uint8Array>>();
const forget = new FinalizationRegistry<string>((name) => {
  if (written.get(name)?.deref() === undefined) written.delete(name);
});

/** Stores bytes that are already ciphertext: inline when small, else in a durable file. */
export async function storeBytes(dir: string, data: Uint8Array, suffix: string): Promise<Stored> {
  if (data.length <= INLINE_LIMIT) return { inline: Buffer.from(data.buffer, data.byteOffset, data.length), file: null };
  const file = await writeDurably(dir, suffix, (write) => write(data));
  written.set(file, new WeakRef(data));
  forget.register(data, file);
  return { inline: null, file };
}

/** The bytes of a file storeBytes wrote under `dir`: those still in memory, or else read from it. */
export async function readStoredBytes(dir: string, file: string): Promise<Buffer> {
  const held = written.get(file)?.deref();
  // A held buffer handed to a worker since (transferred) is empty here: then the file it is.
  if (held && held.byteLength > 0) return Buffer.from(held.buffer, held.byteOffset, held.length);
  return readFile(join(dir, file));
}

/**
 * Seals `plain` and stores it: inline when small, else sealed and written slice by slice into a
 * durable file (never a whole sealed copy in memory).
 */
export async function storeSealed(sealer: Sealer, dir: string, plain: Buffer): Promise<Stored> {
  if (plain.length <= INLINE_LIMIT) return { inline: sealer.seal(plain), file: null };
  const file = await writeDurably(dir, '.sealed', async (write, writeAt) => {
    const sealing = sealer.sealing();
    await write(Buffer.alloc(SEALED_HEAD_BYTES)); // the head (with the tag) is known at the end
    for (let at = 0; at < plain.length; at += INLINE_LIMIT) await write(sealing.update(plain.subarray(at, at + INLINE_LIMIT)));
    await writeAt(sealing.finish(), 0);
  });
  return { inline: null, file };
}

/**
 * Reads and opens a sealed file slice by slice, yielding to the event loop between slices: only
 * the plaintext is held whole, never a second, sealed copy. Throws if the file was tampered with.
 */
export async function readSealed(sealer: Sealer, path: string): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    const head = Buffer.alloc(SEALED_HEAD_BYTES);
    await readFully(fh, head, 0);
    const opening = sealer.opening(head);
    const out = Buffer.allocUnsafe(size - SEALED_HEAD_BYTES);
    const slice = Buffer.allocUnsafe(INLINE_LIMIT);
    for (let at = SEALED_HEAD_BYTES; at < size; at += INLINE_LIMIT) {
      const n = Math.min(INLINE_LIMIT, size - at);
      await readFully(fh, slice.subarray(0, n), at);
      opening.update(slice.subarray(0, n)).copy(out, at - SEALED_HEAD_BYTES);
    }
    opening.finish();
    return out;
  } finally {
    await fh.close();
  }
}

async function readFully(fh: FileHandle, into: Buffer, position: number): Promise<void> {
  for (let got = 0; got < into.length; ) {
    const { bytesRead } = await fh.read(into, got, into.length - got, position + got);
    if (bytesRead === 0) throw new Error('sealed file is shorter than its size');
    got += bytesRead;
  }
}

/** A file younger than this may belong to a row about to be committed (e.g. by `vmtd ingest`). */
const ORPHAN_AGE_MS = 10 * 60_000;

/**
 * Removes files of `dir` that no row names and that are older than ten minutes: what a crash
 * left between writing a blob and committing the row that names it. (A younger one may be a
 * concurrent `vmtd ingest` about to commit its row; it is removed at a later start if orphaned.)
 */
export function removeOrphanFiles(dir: string, named: Set<string>, now = Date.now()): string[] {
  const orphans = readdirSync(dir).filter((f) => !named.has(f) && statSync(join(dir, f)).mtimeMs < now - ORPHAN_AGE_MS);
  for (const f of orphans) unlinkSync(join(dir, f));
  return orphans;
}
