// A worker thread that removes the OpenPGP layers of small spooled messages ahead of the pipeline
// (crypto-pool.ts), so that decryption of the next messages runs on the second core while the
// event loop routes, composes and commits the current one; and that signs and encrypts the relays
// the pipeline composes (seal-relay.ts): pure crypto on bytes, nothing written anywhere.
import { parentPort } from 'node:worker_threads';
import * as openpgp from 'openpgp';
import { decodeMessage, type DecodeResult } from './decode.js';
import type { MessageContent } from '../mail/content.js';
import type { MailHeaders } from '../mail/headers.js';
import { sealLocally, type SealedRelay } from './seal-relay.js';
import type { KeyChanges } from './key-changes.js';

export type CryptoWorkerRequest =
  | { type: 'team'; armoredKey: string }
  | { type: 'keys'; changes: KeyChanges }
  | { type: 'decode'; id: number; raw: Uint8Array; date: number }
  /** Sign `data` with the team key, encrypt it once, and make a key packet for each recipient (binary public keys). */
  | { type: 'seal'; id: number; data: Uint8Array; recipients: Uint8Array[]; date: number };

/**
 * A decode's result (with the outer header and the decoded content parsed, when they parse), a
 * seal's outcome, or `failed`: the worker could not do the work (the caller does it on its own thread).
 */
export type CryptoWorkerReply =
  | { id: number; result: DecodeResult; headers?: MailHeaders; content?: MessageContent }
  | { id: number; sealed: { ok: true; relay: SealedRelay } | { ok: false; error: string } }
  | { id: number; failed: string };

let team: openpgp.PrivateKey | null = null;
let teamLoaded: Promise<void> = Promise.resolve();
/** Recipients' public keys, parsed once, by their binary form (a changed key is other bytes). */
const recipientKeys = new Map<string, openpgp.PublicKey>();
let verification = new Map<string, openpgp.PublicKey>();
/**
 * The mail parsers, loaded at the first decode: loading mailparser costs a thread ~0.16 s of CPU,
 * which a worker that only seals (most daemons' first messages) need not pay.
 */
let parsers: Promise<[typeof import('../mail/headers.js'), typeof import('../mail/content.js')]> | null = null;
/** Requests are handled strictly in the order they arrive (a key change before the decode after it). */
let queue: Promise<void> = Promise.resolve();

async function apply(req: Exclude<CryptoWorkerRequest, { type: 'seal' }>): Promise<void> {
  if (req.type === 'team') {
    team = await openpgp.readPrivateKey({ armoredKey: req.armoredKey });
    return;
  }
  if (req.type === 'keys') {
    const { changes } = req;
    if (changes.reset) verification = new Map();
    for (const fp of changes.remove) verification.delete(fp);
    for (const { fingerprint, armored } of changes.upsert) {
      try {
        verification.set(fingerprint, await openpgp.readKey({ armoredKey: armored }));
      } catch {
        verification.delete(fingerprint); // as the keyring does: an unreadable key is not there
      }
    }
    return;
  }
  let result: DecodeResult;
  let headers: MailHeaders | undefined;
  let content: MessageContent | undefined;
  try {
    if (!team) throw new Error('no team key');
    const raw = Buffer.from(req.raw.buffer, req.raw.byteOffset, req.raw.byteLength);
    result = await decodeMessage(raw, { decryption: [team], verification: [...verification.values()], date: new Date(req.date) });
    // The pipeline's parsing too (pure functions of the bytes, as the steps would call them): off
    // the event loop's thread. What does not parse is left to the steps, which say why.
    const [{ readHeaders }, { readContent }] = await (parsers ??= Promise.all([import('../mail/headers.js'), import('../mail/content.js')]));
    headers = await readHeaders(raw).catch(() => undefined);
    if (result.ok) content = await readContent(result.decoded.content).catch(() => undefined);
  } catch (err) {
    // The pipeline decodes this message itself and handles the error there, as before (and counts the fallback).
    parentPort!.postMessage({ id: req.id, failed: err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err) } satisfies CryptoWorkerReply);
    return;
  }
  const transfer = result.ok && result.decoded.content.byteOffset === 0 && result.decoded.content.buffer.byteLength === result.decoded.content.byteLength ? [result.decoded.content.buffer as ArrayBuffer] : [];
  parentPort!.postMessage({ id: req.id, result, headers, content } satisfies CryptoWorkerReply, transfer);
}

async function recipient(binary: Uint8Array): Promise<openpgp.PublicKey> {
  const id = Buffer.from(binary.buffer, binary.byteOffset, binary.byteLength).toString('base64');
  let key = recipientKeys.get(id);
  if (!key) {
    if (recipientKeys.size >= 2000) recipientKeys.clear();
    key = await openpgp.readKey({ binaryKey: binary });
    recipientKeys.set(id, key);
  }
  return key;
}

/** Seals a relay; runs beside the decodes (it needs the team key only, and its own recipients). */
async function seal(req: Extract<CryptoWorkerRequest, { type: 'seal' }>): Promise<void> {
  let reply: CryptoWorkerReply;
  try {
    await teamLoaded;
    if (!team) throw new Error('no team key');
    const keys = await Promise.all(req.recipients.map(recipient));
    reply = { id: req.id, sealed: { ok: true, relay: await sealLocally(req.data, team, keys, new Date(req.date)) } };
  } catch (err) {
    reply = { id: req.id, sealed: { ok: false, error: err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err) } };
  }
  const transfer = 'sealed' in reply && reply.sealed.ok ? [reply.sealed.relay.encryptedData, ...reply.sealed.relay.keyPackets].filter((b) => b.byteOffset === 0 && b.buffer.byteLength === b.byteLength).map((b) => b.buffer as ArrayBuffer) : [];
  parentPort!.postMessage(reply, [...new Set(transfer)]);
}

parentPort!.on('message', (req: CryptoWorkerRequest) => {
  if (req.type === 'seal') {
    void seal(req);
    return;
  }
  queue = queue.then(() => apply(req)).catch(() => {});
  if (req.type === 'team') teamLoaded = queue;
});
