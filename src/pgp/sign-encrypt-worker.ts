// A worker thread that signs and encrypts large relays, so that the event loop that serves SMTP
// never holds still for a 25 MB payload's hashing and encryption (see offload.ts).
import { parentPort } from 'node:worker_threads';
import * as openpgp from 'openpgp';
import { encryptOnce, signOnce } from './encode.js';

export interface SignEncryptRequest {
  id: number;
  data: Uint8Array;
  /** The team's secret key, armored (it never leaves this process). */
  armoredKey: string;
  date: number;
}

export type SignEncryptReply = { id: number; ok: true; sessionKey: openpgp.SessionKey; encryptedData: Uint8Array } | { id: number; ok: false; error: string };

const keys = new Map<string, openpgp.PrivateKey>();

async function teamKey(armoredKey: string): Promise<openpgp.PrivateKey> {
  let key = keys.get(armoredKey);
  if (!key) {
    key = await openpgp.readPrivateKey({ armoredKey });
    keys.set(armoredKey, key);
  }
  return key;
}

parentPort!.on('message', (req: SignEncryptRequest) => {
  void (async () => {
    let reply: SignEncryptReply;
    try {
      const key = await teamKey(req.armoredKey);
      const date = new Date(req.date);
      const shared = await encryptOnce(await signOnce(req.data, key, date), key.toPublic(), date);
      reply = { id: req.id, ok: true, sessionKey: shared.sessionKey, encryptedData: shared.encryptedData };
    } catch (err) {
      reply = { id: req.id, ok: false, error: err instanceof Error ? err.message : String(err) };
    }
    parentPort!.postMessage(reply, reply.ok ? [reply.encryptedData.buffer as ArrayBuffer] : []);
  })();
});
