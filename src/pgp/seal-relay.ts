// Sealing a relay: the team signs the message once, it is encrypted once under one session key, and
// each recipient gets a key packet for that session key (encode.ts). Where it runs: up to 4 MiB in
// the crypto pool's workers when the daemon has one (crypto-pool.ts); otherwise, or larger, a
// payload over 1 MiB streams through the signing worker (offload.ts), a smaller one is sealed on
// the calling thread.
import { setImmediate as nextTurn } from 'node:timers/promises';
import type * as openpgp from 'openpgp';
import { encryptOnce, keyPacketFor, signOnce, type SharedCiphertext } from './encode.js';
import { OFFLOAD_ABOVE, signAndEncryptOnce } from './offload.js';

/** A sealed relay: the shared encrypted data, and one key packet per recipient, in the recipients' order. */
export interface SealedRelay {
  encryptedData: Uint8Array;
  keyPackets: Uint8Array[];
}

/** Something that seals relays elsewhere (the crypto pool's worker threads). */
export interface RelaySealer {
  /** As sealLocally with the team key the sealer was given; rejects when it cannot (the caller then seals itself). */
  seal(data: Uint8Array, recipients: openpgp.PublicKey[], date: Date): Promise<SealedRelay>;
  /** Told when the caller sealed on its own thread because `seal` rejected with `err` (counted and logged, so a broken pool is seen). */
  fellBack?(work: 'seal', err: unknown): void;
}

/**
 * Payloads up to this size are sealed whole by the pool (a 1 MiB attachment's relay streamed through
 * the signing worker and its slices cost more than the work, issue 16); larger ones stream.
 */
const POOL_SEAL_MAX = 4 << 20;

/** Key packets made in one turn of the event loop (each ~1 ms of public-key work). */
const KEY_PACKETS_PER_TURN = 16;

/**
 * Each recipient's key packet for `shared`, in order: independent public-key operations, made
 * concurrently a group at a time with a turn of the event loop between groups, so a 200-member case
 * does not hold SMTP and the outbox still for the whole ~0.2 s.
 */
async function keyPackets(shared: SharedCiphertext, recipients: openpgp.PublicKey[], date: Date): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (let n = 0; n < recipients.length; n += KEY_PACKETS_PER_TURN) {
    if (n > 0) await nextTurn();
    out.push(...(await Promise.all(recipients.slice(n, n + KEY_PACKETS_PER_TURN).map((key) => keyPacketFor(shared, key, date)))));
  }
  return out;
}

const publicOf = new WeakMap<openpgp.PrivateKey, openpgp.PublicKey>();

/**
 * Signs `data` once with `team`, encrypts it once (SEIPDv1, as GnuPG 2.2 reads it) and makes each
 * recipient's key packet, on this thread. Each recipient's copy (key packet + shared data) opens
 * only with that recipient's key and carries the team's signature. Pure: writes nothing.
 */
export async function sealLocally(data: Uint8Array, team: openpgp.PrivateKey, recipients: openpgp.PublicKey[], date: Date): Promise<SealedRelay> {
  let teamPublic = publicOf.get(team);
  if (!teamPublic) publicOf.set(team, (teamPublic = team.toPublic()));
  const shared = await encryptOnce(await signOnce(data, team, date), teamPublic, date);
  return { encryptedData: shared.encryptedData, keyPackets: await keyPackets(shared, recipients, date) };
}

/**
 * Seals a relay (see sealLocally; the result is of the same form wherever it is made): up to
 * POOL_SEAL_MAX by `sealer` (the crypto pool) when given; otherwise, or if the sealer fails, a
 * payload over 1 MiB is signed and encrypted streaming in the signing worker and a smaller one
 * here. `data` is consumed: a large one may be handed to a worker and is then empty here.
 */
export async function sealRelay(data: Uint8Array, team: { privateKey: openpgp.PrivateKey; publicKey: openpgp.PublicKey }, recipients: openpgp.PublicKey[], date: Date, sealer?: RelaySealer): Promise<SealedRelay> {
  if (sealer && data.length <= POOL_SEAL_MAX) {
    try {
      return await sealer.seal(data, recipients, date);
    } catch (err) {
      // The pool is closed or its worker failed: the same work here, or in the signing worker; said
      // (a counter and a warn line), as a pool that never works would otherwise only be slow.
      sealer.fellBack?.('seal', err);
    }
  }
  if (data.length > OFFLOAD_ABOVE) {
    const shared = await signAndEncryptOnce(data, team, date);
    return { encryptedData: shared.encryptedData, keyPackets: await keyPackets(shared, recipients, date) };
  }
  return sealLocally(data, team.privateKey, recipients, date);
}
