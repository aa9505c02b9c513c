import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { workerUrl } from './worker-url.js';
import type * as openpgp from 'openpgp';
import type { DecodeResult } from './decode.js';
import type { DecodeWorkerReply, DecodeWorkerRequest } from './decode-worker.js';
import type { ChangingKeys } from './key-changes.js';
import type { RelaySealer, SealedRelay } from './seal-relay.js';

/** Messages up to this size are decoded ahead in a worker (a larger one is decoded by the pipeline, streamed). */
export const DECODE_AHEAD_MAX_BYTES = 1 << 20;

/** A decode done ahead, with what it was judged against (the pipeline checks it still holds). */
export interface DecodedAhead {
  result: DecodeResult;
  /** The keyring generation the signatures were verified against. */
  generation: number;
  /** The moment keys and signatures were judged at (the request's time plus the clock slack). */
  date: Date;
  /** When it was asked for. */
  at: Date;
}

interface Slot {
  worker: Worker;
  /** The keyring generation this worker's copy of the keys is at. */
  keysAt: number;
  pending: Map<number, (r: DecodeWorkerReply) => void>;
}

/** Public keys in binary form, made once per key object (the keyring hands out the same objects). */
const binaryOf = new WeakMap<openpgp.PublicKey, Uint8Array>();

/**
 * Worker threads that remove the OpenPGP layers of spooled messages (decodeMessage) ahead of the
 * pipeline, and seal the relays the pipeline composes (RelaySealer: sign, encrypt once, a key
 * packet per recipient, from bytes and binary public keys to bytes). Each worker holds the team's secret key and a copy of the keyring that follows its
 * changes (only the changes are sent). A result is exactly what decodeMessage would give on the
 * calling thread against the keyring as it was when the request was made; nothing is written
 * anywhere. A worker that fails makes its requests fail (the pipeline then decodes itself).
 */
export class DecodePool implements RelaySealer {
  private readonly slots: Slot[] = [];
  private next = 0;
  private nextId = 0;
  private closed = false;

  constructor(
    private readonly team: openpgp.PrivateKey,
    private readonly keys: ChangingKeys,
    /** One worker per core beside the event loop's. */
    readonly size = Math.max(1, availableParallelism() - 1),
  ) {}

  /** Decodes `raw` (copied; the caller keeps it) in a worker, judging keys and signatures at `date`. */
  decode(raw: Buffer, date: Date, at: Date): Promise<DecodedAhead> {
    if (this.closed) return Promise.reject(new Error('decode pool closed'));
    const slot = this.slot();
    const generation = this.keys.generation();
    if (slot.keysAt !== generation) {
      this.post(slot, { type: 'keys', changes: this.keys.changesSince(slot.keysAt) });
      slot.keysAt = generation;
    }
    const id = ++this.nextId;
    const copy = new Uint8Array(raw);
    return new Promise<DecodeResult>((resolve) => {
      slot.pending.set(id, (r) => resolve('result' in r ? r.result : { ok: false, reason: 'decode worker: unexpected reply' }));
      slot.worker.ref();
      this.post(slot, { type: 'decode', id, raw: copy, date: date.getTime() }, [copy.buffer]);
    }).then((result) => {
      if (slot.pending.size === 0) slot.worker.unref();
      return { result: revive(result), generation, date, at };
    });
  }

  /**
   * Seals a relay in a worker: exactly what sealLocally gives with the team key this pool holds
   * (`data` is copied, the caller keeps it; keys are sent in binary form). Rejects when the pool
   * is closed or the worker fails or refuses, so the caller can seal on its own thread instead.
   */
  seal(data: Uint8Array, recipients: openpgp.PublicKey[], date: Date): Promise<SealedRelay> {
    if (this.closed) return Promise.reject(new Error('crypto pool closed'));
    const slot = this.slot();
    const id = ++this.nextId;
    const copy = new Uint8Array(data);
    const keys = recipients.map((k) => {
      let b = binaryOf.get(k);
      if (!b) binaryOf.set(k, (b = k.write() as Uint8Array));
      return b;
    });
    return new Promise<SealedRelay>((resolve, reject) => {
      slot.pending.set(id, (r) => {
        if (slot.pending.size === 0) slot.worker.unref();
        if (!('sealed' in r)) reject(new Error(`crypto worker: ${'result' in r && !r.result.ok ? r.result.reason : 'unexpected reply'}`));
        else if (!r.sealed.ok) reject(new Error(`crypto worker: ${r.sealed.error}`));
        else resolve(r.sealed.relay);
      });
      slot.worker.ref();
      this.post(slot, { type: 'seal', id, data: copy, recipients: keys, date: date.getTime() }, [copy.buffer]);
    });
  }

  /** Ends the workers; pending requests fail. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.splice(0).map((s) => s.worker.terminate()));
  }

  private slot(): Slot {
    if (this.slots.length < this.size) {
      const worker = new Worker(workerUrl('decode-worker', import.meta.url));
      worker.unref(); // an idle worker never keeps vmtd (or a CLI command) alive
      const slot: Slot = { worker, keysAt: 0, pending: new Map() };
      worker.on('message', (r: DecodeWorkerReply) => {
        const done = slot.pending.get(r.id);
        slot.pending.delete(r.id);
        done?.(r);
      });
      const fail = (why: string): void => {
        for (const [id, done] of slot.pending) done({ id, result: { ok: false, reason: `decode worker: ${why}` } });
        slot.pending.clear();
        const i = this.slots.indexOf(slot);
        if (i >= 0) this.slots.splice(i, 1);
      };
      worker.on('error', (err) => fail(err.message));
      worker.on('exit', (code) => fail(`exited with ${code}`));
      this.post(slot, { type: 'team', armoredKey: this.team.armor() });
      this.slots.push(slot);
      return slot;
    }
    return this.slots[this.next++ % this.slots.length]!;
  }

  private post(slot: Slot, req: DecodeWorkerRequest, transfer: ArrayBuffer[] = []): void {
    slot.worker.postMessage(req, transfer);
  }
}

/** A structured clone turns Buffers into Uint8Arrays: make the content a Buffer again (no copy). */
function revive(r: DecodeResult): DecodeResult {
  if (!r.ok) return r;
  const c: Uint8Array = r.decoded.content;
  return { ok: true, decoded: { ...r.decoded, content: Buffer.isBuffer(c) ? c : Buffer.from(c.buffer, c.byteOffset, c.byteLength) } };
}

/**
 * Whether a decode done ahead is what decoding now would give: asked for within `maxAgeMs` of now, and no
 * key that could have signed it changed since (an unsigned message depends on the team key only).
 * A failed decode is never reused (the pipeline decodes again and reports its own reason).
 */
export function stillHolds(ahead: DecodedAhead, keys: ChangingKeys, now: Date, maxAgeMs = 60_000): boolean {
  if (!ahead.result.ok) return false;
  if (Math.abs(now.getTime() - ahead.at.getTime()) > maxAgeMs) return false;
  const sig = ahead.result.decoded.signature;
  if (sig.state === 'unsigned' || keys.generation() === ahead.generation) return true;
  const changed = keys.keyIdsChangedSince(ahead.generation);
  if (!changed) return false;
  if (!sig.signer) return false;
  const signer = sig.signer.toUpperCase();
  for (const id of changed) if (signer.endsWith(id)) return false;
  return true;
}
