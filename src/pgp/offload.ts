import { Worker } from 'node:worker_threads';
import { workerUrl } from './worker-url.js';
import type * as openpgp from 'openpgp';
import { encryptOnce, signOnce, type SharedCiphertext } from './encode.js';
import type { SignEncryptReply, SignEncryptRequest } from './sign-encrypt-worker.js';

/** Payloads up to this size are signed and encrypted on the calling thread (a worker round trip costs more). */
export const OFFLOAD_ABOVE = 1 << 20;

let worker: Worker | null = null;
let nextId = 0;
const pending = new Map<number, { resolve: (r: SignEncryptReply) => void; reject: (e: Error) => void }>();

function theWorker(): Worker {
  if (worker) return worker;
  const w = new Worker(workerUrl('sign-encrypt-worker', import.meta.url));
  w.unref(); // an idle worker never keeps vmtd (or a CLI command) alive
  w.on('message', (r: SignEncryptReply) => {
    pending.get(r.id)?.resolve(r);
    pending.delete(r.id);
  });
  w.on('error', (err) => fail(err));
  w.on('exit', (code) => fail(new Error(`the signing worker exited with ${code}`)));
  worker = w;
  return w;
}

function fail(err: Error): void {
  worker = null;
  for (const p of pending.values()) p.reject(err);
  pending.clear();
}

/**
 * Signs `data` once with the team key and encrypts it once under a fresh session key (signOnce,
 * then encryptOnce). A large payload is handled by a worker thread, so the event loop keeps
 * serving other connections meanwhile; the result is the same either way. `data` is consumed: a
 * large one may be handed to the worker and is then empty here.
 */
export async function signAndEncryptOnce(data: Uint8Array, team: { privateKey: openpgp.PrivateKey; publicKey: openpgp.PublicKey }, date: Date): Promise<SharedCiphertext> {
  if (data.length <= OFFLOAD_ABOVE) return encryptOnce(await signOnce(data, team.privateKey, date), team.publicKey, date);
  const id = ++nextId;
  const w = theWorker();
  const reply = await new Promise<SignEncryptReply>((resolve, reject) => {
    pending.set(id, { resolve, reject });
    // Handed over without a copy when the buffer owns its memory (the caller must not use it after).
    const owns = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && data.buffer instanceof ArrayBuffer;
    w.postMessage({ id, data, armoredKey: team.privateKey.armor(), date: date.getTime() } satisfies SignEncryptRequest, owns ? [data.buffer as ArrayBuffer] : []);
    w.ref();
  }).finally(() => {
    if (pending.size === 0) w.unref();
  });
  if (!reply.ok) throw new Error(`signing and encrypting failed: ${reply.error}`);
  return { sessionKey: reply.sessionKey, encryptedData: reply.encryptedData };
}
