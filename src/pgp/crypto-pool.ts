import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { workerUrl } from './worker-url.js';
import type * as openpgp from 'openpgp';
import { counters } from '../counters.js';
import type { Logger } from '../log.js';
import type { DecodeResult } from './decode.js';
import type { MessageContent } from '../mail/content.js';
import type { MailHeaders } from '../mail/headers.js';
import type { CryptoWorkerReply, CryptoWorkerRequest } from './crypto-worker.js';
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
  /** The raw message's outer header, read (readHeaders) beside the decode; absent when it did not parse. */
  headers?: MailHeaders;
  /** The decoded content, parsed (readContent) beside the decode; absent when it did not parse or the decode failed. */
  content?: MessageContent;
}

interface Slot {
  worker: Worker;
  /** The keyring generation this worker's copy of the keys is at. */
  keysAt: number;
  pending: Map<number, (r: CryptoWorkerReply) => void>;
}

/** Public keys in binary form, made once per key object (the keyring hands out the same objects). */
const binaryOf = new WeakMap<openpgp.PublicKey, Uint8Array>();

/** What the pool's workers do, for the fallback counter's label. */
export type PoolWork = 'seal' | 'decode';

/** After a worker failed (it could not start, or died), no new one is started for this long: requests fail at once. */
const RESTART_AFTER_MS = 30_000;

/** One warn line per fallback cause at most this often (the counter counts every one). */
const WARN_EVERY_MS = 10 * 60_000;

export interface CryptoPoolOptions {
  /** Where a fallback is told (one line per cause, rate-limited). */
  log?: Pick<Logger, 'warn'>;
  /** The worker's entry module (default: crypto-worker beside this module). */
  entry?: URL;
}

/** A short cause for the log: the error's first line, never more (worker and parser errors name states, paths and limits, not content). */
function causeOf(err: unknown): string {
  return (err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err)).slice(0, 160);
}

/**
 * Worker threads that remove the OpenPGP layers of spooled messages (decodeMessage) ahead of the
 * pipeline, and seal the relays the pipeline composes (RelaySealer: sign, encrypt once, a key
 * packet per recipient, from bytes and binary public keys to bytes). Each worker holds the team's
 * secret key and a copy of the keyring that follows its changes (only the changes are sent). A
 * result is exactly what decodeMessage would give on the calling thread against the keyring as it
 * was when the request was made; nothing is written anywhere. A worker that fails makes its
 * requests reject, and for RESTART_AFTER_MS no new worker is started (a worker that cannot start
 * would otherwise cost a thread start per message): the callers then do the work on their own
 * thread and say so through `fellBack` (counter `vmtd_crypto_pool_fallbacks_total`, a warn line).
 */
export class CryptoPool implements RelaySealer {
  private readonly slots: Slot[] = [];
  private next = 0;
  private nextId = 0;
  private closed = false;
  /** Why the last worker failed, and until when no new one is started. */
  private broken: { cause: string; until: number } | null = null;
  /** Per fallback cause: when it was last logged, and how many fell back since. */
  private readonly told = new Map<string, { at: number; since: number }>();
  private readonly entry: URL;
  private readonly log: Pick<Logger, 'warn'> | undefined;

  constructor(
    private readonly team: openpgp.PrivateKey,
    private readonly keys: ChangingKeys,
    /** One worker per core beside the event loop's. */
    readonly size = Math.max(1, availableParallelism() - 1),
    options: CryptoPoolOptions = {},
  ) {
    this.entry = options.entry ?? workerUrl('crypto-worker', import.meta.url);
    this.log = options.log;
  }

  /**
   * Starts the workers now (each loads the team key), so that the first message after a start does
   * not wait for a thread to start and load OpenPGP.js (measured: the first report's relay took
   * ~0.35 s, and the ten behind it waited). A worker that cannot start fails as in use.
   */
  warm(): void {
    if (this.closed) return;
    try {
      while (this.slots.length < this.size) this.slot();
    } catch {
      // Told when work falls back.
    }
  }

  /**
   * The caller did `work` on its own thread because the pool rejected it (`err`): counted, and
   * logged once per cause (at most every WARN_EVERY_MS, with how many fell back since), never
   * with content.
   */
  fellBack(work: PoolWork, err: unknown): void {
    counters.cryptoPoolFallbacks.inc({ work });
    const cause = causeOf(err);
    const key = `${work}\n${cause}`;
    const now = Date.now();
    const t = this.told.get(key);
    if (t && now - t.at < WARN_EVERY_MS) {
      t.since++;
      return;
    }
    if (this.told.size >= 100) this.told.clear();
    this.told.set(key, { at: now, since: 0 });
    this.log?.warn({ work, cause, fellBackSinceLastLine: t ? t.since + 1 : 1 }, 'crypto pool: work done on the event loop\'s thread instead of a worker thread (slower; see vmtd_crypto_pool_fallbacks_total)');
  }

  /** Decodes `raw` (copied; the caller keeps it) in a worker, judging keys and signatures at `date`. Rejects when the pool cannot. */
  decode(raw: Buffer, date: Date, at: Date): Promise<DecodedAhead> {
    let slot: Slot;
    try {
      slot = this.slot();
    } catch (err) {
      return Promise.reject(err as Error);
    }
    const generation = this.keys.generation();
    if (slot.keysAt !== generation) {
      this.post(slot, { type: 'keys', changes: this.keys.changesSince(slot.keysAt) });
      slot.keysAt = generation;
    }
    const id = ++this.nextId;
    const copy = new Uint8Array(raw);
    return new Promise<DecodedAhead>((resolve, reject) => {
      slot.pending.set(id, (r) => {
        if (slot.pending.size === 0) slot.worker.unref();
        if ('result' in r) resolve({ result: revive(r.result), generation, date, at, headers: r.headers, content: r.content && reviveContent(r.content) });
        else reject(new Error(`crypto worker: ${'failed' in r ? r.failed : 'unexpected reply'}`));
      });
      slot.worker.ref();
      this.post(slot, { type: 'decode', id, raw: copy, date: date.getTime() }, [copy.buffer]);
    });
  }

  /**
   * Seals a relay in a worker: exactly what sealLocally gives with the team key this pool holds
   * (`data` is copied, the caller keeps it; keys are sent in binary form). Rejects when the pool
   * is closed or the worker fails or refuses, so the caller can seal on its own thread instead.
   */
  seal(data: Uint8Array, recipients: openpgp.PublicKey[], date: Date): Promise<SealedRelay> {
    let slot: Slot;
    try {
      slot = this.slot();
    } catch (err) {
      return Promise.reject(err as Error);
    }
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
        if (!('sealed' in r)) reject(new Error(`crypto worker: ${'failed' in r ? r.failed : 'unexpected reply'}`));
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

  /** A worker for the next request: a new one while there are fewer than `size`, else the next in turn. Throws when there is none to be had. */
  private slot(): Slot {
    if (this.closed) throw new Error('crypto pool closed');
    const restartBlocked = this.broken !== null && Date.now() < this.broken.until;
    if (this.slots.length < this.size && !restartBlocked) {
      const worker = new Worker(this.entry);
      worker.unref(); // an idle worker never keeps vmtd (or a CLI command) alive
      const slot: Slot = { worker, keysAt: 0, pending: new Map() };
      worker.on('message', (r: CryptoWorkerReply) => {
        const done = slot.pending.get(r.id);
        slot.pending.delete(r.id);
        done?.(r);
      });
      const fail = (why: string): void => {
        for (const [id, done] of slot.pending) done({ id, failed: why });
        slot.pending.clear();
        const i = this.slots.indexOf(slot);
        if (i < 0) return; // closed, or 'exit' after 'error'
        this.slots.splice(i, 1);
        if (!this.closed) this.broken = { cause: `crypto worker: ${why}`, until: Date.now() + RESTART_AFTER_MS };
      };
      worker.on('error', (err) => fail(causeOf(err)));
      worker.on('exit', (code) => fail(`exited with ${code}`));
      this.post(slot, { type: 'team', armoredKey: this.team.armor() });
      this.slots.push(slot);
      return slot;
    }
    if (this.slots.length === 0) throw new Error(this.broken?.cause ?? 'crypto pool has no worker');
    return this.slots[this.next++ % this.slots.length]!;
  }

  private post(slot: Slot, req: CryptoWorkerRequest, transfer: ArrayBuffer[] = []): void {
    slot.worker.postMessage(req, transfer);
  }
}

/** A structured clone turns Buffers into Uint8Arrays: make the content a Buffer again (no copy). */
function revive(r: DecodeResult): DecodeResult {
  if (!r.ok) return r;
  const c: Uint8Array = r.decoded.content;
  return { ok: true, decoded: { ...r.decoded, content: Buffer.isBuffer(c) ? c : Buffer.from(c.buffer, c.byteOffset, c.byteLength) } };
}

/** The attachments' contents as Buffers again (no copy). */
function reviveContent(c: MessageContent): MessageContent {
  const buffer = (u: Uint8Array): Buffer => (Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength));
  return { text: c.text, attachments: c.attachments.map((a) => ({ ...a, content: buffer(a.content) })) };
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
