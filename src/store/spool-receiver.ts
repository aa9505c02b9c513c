import { open, unlink, type FileHandle } from 'node:fs/promises';
import { setImmediate } from 'node:timers/promises';
import { join } from 'node:path';
import { INLINE_LIMIT, newBlobName, syncDirectory, writeFully, type Stored } from './blob-files.js';
import { SEALED_HEAD_BYTES, type Sealer, type Sealing } from './seal.js';

/**
 * Takes one message chunk by chunk as it arrives and seals each chunk at once, so no plaintext is
 * kept beyond a chunk. Up to `inlineLimit` bytes the sealed message stays in memory; beyond that it
 * is written to a new file under `dir` as it arrives (asynchronous I/O), so a large message never
 * stalls the event loop nor makes a large database write. `finish` makes it durable.
 */
export class SpoolReceiver {
  private readonly sealing: Sealing;
  private chunks: Buffer[] = [];
  private held = 0;
  private file: { name: string; handle: Promise<FileHandle>; writes: Promise<void> } | null = null;
  private failure: unknown = null;
  /** Bytes received so far. */
  size = 0;

  constructor(
    sealer: Sealer,
    private readonly dir: string,
    private readonly inlineLimit = INLINE_LIMIT,
  ) {
    this.sealing = sealer.sealing();
  }

  write(chunk: Buffer): void {
    this.size += chunk.length;
    const sealed = this.sealing.update(chunk);
    if (this.file) return this.append(sealed);
    this.chunks.push(sealed);
    this.held += sealed.length;
    if (this.held > this.inlineLimit) this.spill();
  }

  /** The sealed message, durable on disk when it is a file (file and directory fsynced). */
  async finish(): Promise<Stored> {
    const head = this.sealing.finish();
    if (!this.file) return { inline: Buffer.concat([head, ...this.chunks]), file: null };
    await this.file.writes;
    if (this.failure) throw this.failure;
    const fh = await this.file.handle;
    await fh.write(head, 0, head.length, 0);
    await fh.sync();
    await fh.close();
    await syncDirectory(this.dir);
    return { inline: null, file: this.file.name };
  }

  /** Drops what was received (refused or failed message): removes its file, if any. */
  async abort(): Promise<void> {
    this.chunks = [];
    if (!this.file) return;
    await this.file.writes;
    await this.file.handle.then((fh) => fh.close()).catch(() => {});
    await unlink(join(this.dir, this.file.name)).catch(() => {});
  }

  private spill(): void {
    const name = newBlobName('.sealed');
    const handle = open(join(this.dir, name), 'wx', 0o600);
    handle.catch(() => {}); // the failure is recorded by the write chain below
    this.file = { name, handle, writes: Promise.resolve() };
    // Room for the head (version, IV, tag), written at the end when the tag is known.
    this.append(Buffer.alloc(SEALED_HEAD_BYTES));
    for (const c of this.chunks) this.append(c);
    this.chunks = [];
  }

  private append(bytes: Buffer): void {
    const file = this.file!;
    file.writes = file.writes.then(async () => {
      if (this.failure) return;
      try {
        const fh = await file.handle;
        await writeFully(fh, bytes);
      } catch (err) {
        this.failure = err;
      }
    });
  }
}

/**
 * Seals a message already in memory (IMAP) as the SMTP intake does while it arrives: slice by
 * slice, a large one into a durable file of its own. The result goes to spoolSealed.
 */
export async function sealForSpool(sealer: Sealer, dir: string, raw: Buffer): Promise<Stored> {
  const receiver = new SpoolReceiver(sealer, dir);
  for (let at = 0; at < raw.length; at += INLINE_LIMIT) {
    receiver.write(raw.subarray(at, at + INLINE_LIMIT));
    await setImmediate();
  }
  return receiver.finish();
}
