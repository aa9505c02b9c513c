// A worker thread that signs and encrypts large relays, so that the event loop that serves SMTP
// never holds still for a 25 MB payload's hashing and encryption (see offload.ts).
import { parentPort } from 'node:worker_threads';
import * as openpgp from 'openpgp';
import { gpgCompatible } from './keys.js';
import { collect, sliceStream } from './streams.js';
import { collectGarbageNow } from '../memory.js';

export interface SignEncryptRequest {
  id: number;
  data: Uint8Array;
  /** The team's secret key, armored (it never leaves this process). */
  armoredKey: string;
  date: number;
}

export type SignEncryptReply = { id: number; ok: true; sessionKey: openpgp.SessionKey; encryptedData: Uint8Array } | { id: number; ok: false; error: string };

const keys = new Map<string, openpgp.PrivateKey>();

/**
 * Signs and encrypts as signOnce + encryptOnce do (one-pass signed literal data in one SEIPD
 * packet, under a fresh session key, no key packet), but streaming: OpenPGP.js then hashes and
 * encrypts slice by slice instead of holding several whole copies of a large payload.
 */
async function signAndEncryptStreaming(data: Uint8Array, key: openpgp.PrivateKey, date: Date): Promise<{ sessionKey: openpgp.SessionKey; encryptedData: Uint8Array }> {
  const input = sliceStream(data, false);
  const publicKey = key.toPublic();
  const sessionKey = await openpgp.generateSessionKey({ encryptionKeys: publicKey, date, config: gpgCompatible });
  const message = await openpgp.createMessage({ binary: input, format: 'binary', date });
  const encrypted = await openpgp.encrypt({ message, signingKeys: key, encryptionKeys: publicKey, sessionKey, date, format: 'object', config: gpgCompatible });
  const list = new openpgp.PacketList<openpgp.AnyPacket>();
  list.push(...encrypted.packets.filter((p) => !(p instanceof openpgp.PublicKeyEncryptedSessionKeyPacket)));
  return { sessionKey, encryptedData: await collect(list.write() as unknown as Parameters<typeof collect>[0], data.length + (64 << 10)) };
}

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
      const shared = await signAndEncryptStreaming(req.data, key, date);
      reply = { id: req.id, ok: true, sessionKey: shared.sessionKey, encryptedData: shared.encryptedData };
    } catch (err) {
      reply = { id: req.id, ok: false, error: err instanceof Error ? err.message : String(err) };
    }
    parentPort!.postMessage(reply, reply.ok ? [reply.encryptedData.buffer as ArrayBuffer] : []);
    // Only payloads over 4 MiB come here: the copies made while signing and encrypting one are
    // freed now rather than held by an idle thread until its next payload.
    collectGarbageNow();
  })();
});
