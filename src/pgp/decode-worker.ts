// A worker thread that removes the OpenPGP layers of small spooled messages ahead of the pipeline
// (decode-pool.ts), so that decryption of the next messages runs on the second core while the
// event loop routes, composes and commits the current one.
import { parentPort } from 'node:worker_threads';
import * as openpgp from 'openpgp';
import { decodeMessage, type DecodeResult } from './decode.js';
import type { KeyChanges } from './key-changes.js';

export type DecodeWorkerRequest =
  | { type: 'team'; armoredKey: string }
  | { type: 'keys'; changes: KeyChanges }
  | { type: 'decode'; id: number; raw: Uint8Array; date: number };

export interface DecodeWorkerReply {
  id: number;
  result: DecodeResult;
}

let team: openpgp.PrivateKey | null = null;
let verification = new Map<string, openpgp.PublicKey>();
/** Requests are handled strictly in the order they arrive (a key change before the decode after it). */
let queue: Promise<void> = Promise.resolve();

async function apply(req: DecodeWorkerRequest): Promise<void> {
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
  try {
    if (!team) throw new Error('no team key');
    result = await decodeMessage(Buffer.from(req.raw.buffer, req.raw.byteOffset, req.raw.byteLength), { decryption: [team], verification: [...verification.values()], date: new Date(req.date) });
  } catch (err) {
    // The pipeline decodes this message itself and handles the error there, as before.
    result = { ok: false, reason: `decode worker: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}` };
  }
  const transfer = result.ok && result.decoded.content.byteOffset === 0 && result.decoded.content.buffer.byteLength === result.decoded.content.byteLength ? [result.decoded.content.buffer as ArrayBuffer] : [];
  parentPort!.postMessage({ id: req.id, result } satisfies DecodeWorkerReply, transfer);
}

parentPort!.on('message', (req: DecodeWorkerRequest) => {
  queue = queue.then(() => apply(req)).catch(() => {});
});
