import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { open, rename, type FileHandle } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { writeFully } from '../store/blob-files.js';
import type { Transport } from './transport.js';

/** Pieces written per writev call (IOV_MAX is 1024 on Linux). */
const PIECES_PER_WRITE = 512;

/** Writes every piece in order, gathered (one writev for a small mail, not one write per piece). */
async function writeAll(fh: FileHandle, pieces: Buffer[]): Promise<void> {
  for (let i = 0; i < pieces.length; i += PIECES_PER_WRITE) {
    const group = pieces.slice(i, i + PIECES_PER_WRITE);
    const total = group.reduce((n, p) => n + p.length, 0);
    let skip = (await fh.writev(group)).bytesWritten;
    if (skip >= total) continue;
    // A short write: the rest piece by piece, from where it stopped.
    for (const p of group) {
      if (skip < p.length) await writeFully(fh, p.subarray(skip));
      skip = Math.max(0, skip - p.length);
    }
  }
}

/**
 * Delivers into a maildir as a delivery agent would: one file per recipient in `new/`, starting with
 * `Return-Path:` and `Delivered-To:`, written to `tmp/`, fsynced, then renamed (never half-visible).
 */
export function maildirTransport(dir: string): Transport {
  for (const sub of ['tmp', 'new', 'cur']) mkdirSync(join(dir, sub), { recursive: true, mode: 0o700 });
  let seq = 0;
  return {
    async deliver(envelope, pieces) {
      try {
        const name = `${Date.now()}.P${process.pid}Q${++seq}R${randomBytes(6).toString('hex')}.${hostname().replace(/[/:]/g, '_')}`;
        const tmp = join(dir, 'tmp', name);
        // Asynchronous I/O: a large mail's write and fsync must not stall the event loop.
        const fh = await open(tmp, 'wx', 0o600);
        try {
          await writeAll(fh, [Buffer.from(`Return-Path: <${envelope.from}>\r\nDelivered-To: ${envelope.to}\r\n`), ...pieces]);
          await fh.sync();
        } finally {
          await fh.close();
        }
        await rename(tmp, join(dir, 'new', name));
        return { ok: true };
      } catch (err) {
        return { ok: false, permanent: false, error: `maildir: ${(err as NodeJS.ErrnoException).code ?? String(err)}` };
      }
    },
    async close() {},
  };
}
