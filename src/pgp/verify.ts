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
  /**
   * The identity of what was signed (signatureIdentity): the same signed statement however its
   * packets are re-encoded or padded with unhashed subpackets, for replay protection.
   */
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
 * What a signer signed, as one digest: the signer, the hashed part of the signature (version,
 * type, algorithms, hashed subpackets with the creation time) and the signed data (text
 * signatures over their canonical form). Unhashed subpackets, packet framing and the signature
 * values themselves (ECDSA's are malleable) are left out: changing them does not make a new
 * statement, so it must not make a new identity.
 */
export function signatureIdentity(signer: string, packet: openpgp.SignaturePacket, signed: Uint8Array): string {
  // openpgp's .d.ts omits signatureData (the hashed part as read) although every packet has it.
  const hashed = (packet as unknown as { signatureData: Uint8Array | null }).signatureData ?? new Uint8Array();
  const textMode = packet.signatureType === openpgp.enums.signature.text;
  const data = textMode ? Buffer.from(canonicalText(Buffer.from(signed.buffer, signed.byteOffset, signed.length).toString('utf8')), 'utf8') : signed;
  return createHash('sha256').update(`vmtd-signature-v1\0${signer}\0`).update(hashed).update(createHash('sha256').update(data).digest()).digest('hex');
}

/** Text as a text signature sees it: CRLF line ends, trailing blanks of each line dropped. */
function canonicalText(text: string): string {
  return text.replace(/\r\n?/g, '\n').split('\n').map((l) => l.replace(/[ \t]+$/, '')).join('\r\n');
}

/**
 * Judges openpgp's verification results over `signed` (the data as signed). Only the first
 * signature counts: a message with several signatures is judged by it, and any bad one makes
 * the whole message bad.
 */
export async function judgeSignatures(
  sigs: openpgp.VerifyMessageResult['signatures'],
  keys: openpgp.PublicKey[],
  signed: Uint8Array,
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
  const signedAt = packet?.created ?? undefined;
  const key = keys.find((k) => k.getKeyIDs().some((id) => id.equals(first.keyID)));
  const digest = packet ? signatureIdentity(key ? fingerprintOf(key) : keyId, packet, signed) : undefined;
  if (!digest) return { state: 'bad', signer: keyId };
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
  return judgeSignatures(result.signatures, keys, data);
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
  const text = message.getText();
  return { text, check: await judgeSignatures(result.signatures, keys, Buffer.from(text, 'utf8')) };
}
