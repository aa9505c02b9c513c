import { createHash } from 'node:crypto';
import * as openpgp from 'openpgp';
import { fingerprintOf } from './keys.js';

/** The signature state recorded per message and shown in relays. */
export type SignatureState = 'good' | 'bad' | 'unknown-key' | 'unsigned';

export interface SignatureCheck {
  state: SignatureState;
  /** Fingerprint of the signing key (good), or the issuer key ID (unknown-key/bad) when known. */
  signer?: string;
  signedAt?: Date;
  /** SHA-256 of the signature packet: the identity of a signature, for replay protection. */
  digest?: string;
}

export const unsigned: SignatureCheck = { state: 'unsigned' };

/** Settings for everything vmtd reads: integrity protection required (EFAIL), bounded decompression. */
export const readConfig: Partial<openpgp.Config> = {
  allowUnauthenticatedMessages: false,
  allowUnauthenticatedStream: false,
  maxDecompressedMessageSize: 64 * 1024 * 1024,
};

/**
 * Judges openpgp's verification results. Only the first signature counts: a message with several
 * signatures is judged by it, and any bad one makes the whole message bad.
 */
export async function judgeSignatures(
  sigs: openpgp.VerifyMessageResult['signatures'],
  keys: openpgp.PublicKey[],
): Promise<SignatureCheck> {
  if (sigs.length === 0) return unsigned;
  const first = sigs[0]!;
  const keyId = first.keyID.toHex().toUpperCase();
  let signature: openpgp.Signature;
  try {
    signature = await first.signature;
  } catch {
    return { state: 'bad', signer: keyId };
  }
  const packet = signature.packets[0];
  const digest = createHash('sha256').update(signature.write()).digest('hex');
  const signedAt = packet?.created ?? undefined;
  const key = keys.find((k) => k.getKeyIDs().some((id) => id.equals(first.keyID)));
  if (!key) return { state: 'unknown-key', signer: keyId, digest, ...(signedAt ? { signedAt } : {}) };
  try {
    await first.verified;
  } catch {
    return { state: 'bad', signer: fingerprintOf(key), digest, ...(signedAt ? { signedAt } : {}) };
  }
  for (const other of sigs.slice(1)) {
    try {
      await other.verified;
    } catch {
      return { state: 'bad', signer: fingerprintOf(key), digest };
    }
  }
  return { state: 'good', signer: fingerprintOf(key), digest, ...(signedAt ? { signedAt } : {}) };
}

/** Verifies a detached signature over exact bytes (already CRLF-canonical). */
export async function verifyDetached(
  data: Uint8Array,
  armoredSignature: string,
  keys: openpgp.PublicKey[],
  date: Date,
): Promise<SignatureCheck> {
  let signature: openpgp.Signature;
  try {
    signature = await openpgp.readSignature({ armoredSignature, config: readConfig });
  } catch {
    return { state: 'bad' };
  }
  const message = await openpgp.createMessage({ binary: data });
  const result = await openpgp.verify({ message, signature, verificationKeys: keys, date, config: readConfig, format: 'binary' });
  return judgeSignatures(result.signatures, keys);
}

/** Verifies a cleartext-signed block; returns the signed text only (never the text around it). */
export async function verifyCleartext(
  armored: string,
  keys: openpgp.PublicKey[],
  date: Date,
): Promise<{ text: string; check: SignatureCheck } | undefined> {
  let message: openpgp.CleartextMessage;
  try {
    message = await openpgp.readCleartextMessage({ cleartextMessage: armored, config: readConfig });
  } catch {
    return undefined;
  }
  const result = await openpgp.verify({ message, verificationKeys: keys, date, config: readConfig });
  return { text: message.getText(), check: await judgeSignatures(result.signatures, keys) };
}
