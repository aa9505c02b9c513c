import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/**
 * Seals data at rest with AES-256-GCM under a data key kept in its own file, outside the database:
 * a copy of the database alone reveals nothing it holds sealed.
 */
export interface Sealer {
  seal(plain: Buffer | string): Buffer;
  open(sealed: Buffer): Buffer;
  /** Seals data arriving in chunks; the result, head + chunks in order, is what `seal` would give. */
  sealing(): Sealing;
  /** Opens a sealed blob given in pieces: the head (SEALED_HEAD_BYTES) first, then the rest in order. */
  opening(head: Buffer): Opening;
}

/** An opening in progress: `update` returns each piece's plaintext; `finish` throws if anything was tampered with. */
export interface Opening {
  update(chunk: Buffer): Buffer;
  finish(): void;
}

/** A seal in progress: `update` returns each chunk's sealed bytes, `finish` the head that goes first. */
export interface Sealing {
  update(chunk: Buffer): Buffer;
  finish(): Buffer;
}

/** Sealed blobs start with this many bytes (version, IV, GCM tag) before the encrypted data. */
export const SEALED_HEAD_BYTES = 29;


const VERSION = 1;

/** Loads the data key from `file`, creating it (mode 0600) when absent. */
export function loadOrCreateDataKey(file: string): Buffer {
  if (!existsSync(file)) {
    writeFileSync(file, randomBytes(32).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  }
  const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  if (key.length !== 32) throw new Error(`data key ${file} is not 32 bytes of base64`);
  return key;
}

/** A sealer bound to one 32-byte key. Opening fails loudly on any tampering. */
export function sealerFor(key: Buffer): Sealer {
  return {
    seal(plain) {
      const sealing = this.sealing();
      const body = sealing.update(typeof plain === 'string' ? Buffer.from(plain) : plain);
      return Buffer.concat([sealing.finish(), body]);
    },
    sealing() {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      return {
        update: (chunk) => cipher.update(chunk),
        finish: () => {
          cipher.final();
          return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag()]);
        },
      };
    },
    opening(head) {
      if (head[0] !== VERSION) throw new Error('sealed blob has an unknown version');
      const decipher = createDecipheriv('aes-256-gcm', key, head.subarray(1, 13));
      decipher.setAuthTag(head.subarray(13, SEALED_HEAD_BYTES));
      return { update: (chunk) => decipher.update(chunk), finish: () => void decipher.final() };
    },
    open(sealed) {
      if (sealed[0] !== VERSION) throw new Error('sealed blob has an unknown version');
      const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(1, 13));
      decipher.setAuthTag(sealed.subarray(13, 29));
      return Buffer.concat([decipher.update(sealed.subarray(29)), decipher.final()]);
    },
  };
}
