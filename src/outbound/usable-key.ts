import type * as openpgp from 'openpgp';
import type { Vmtd } from '../context.js';
import { describeKey } from '../pgp/keys.js';

export type KeyLookup = { ok: true; key: openpgp.PublicKey } | { ok: false; problem: string };

/**
 * The key to encrypt to for an address (a pinned fingerprint first, else the keyring's choice),
 * or why there is none usable now: none, expired, revoked, sign-only.
 */
export async function usableKey(ctx: Vmtd, email: string, fingerprint: string | null): Promise<KeyLookup> {
  const key = (fingerprint && ctx.keyring.byFingerprint(fingerprint)) || ctx.keyring.forEmail(email);
  if (!key) return { ok: false, problem: 'no key known for this address' };
  const info = await describeKey(key, ctx.clock());
  return info.encryptionProblem ? { ok: false, problem: info.encryptionProblem } : { ok: true, key };
}
