import * as openpgp from 'openpgp';

/** What vmtd needs to know of a public key to use it. */
export interface KeyInfo {
  fingerprint: string;
  emails: string[];
  /** Why the key cannot encrypt at `now` (expired, revoked, no encryption subkey), or null if it can. */
  encryptionProblem: string | null;
  expiresAt: Date | null;
}

/** The settings that keep keys and messages readable by GnuPG 2.2 (see STACK.md). */
export const gpgCompatible: Partial<openpgp.Config> = { v6Keys: false, aeadProtect: false };

/** Clocks differ: a self-certification up to this far in our future is taken as made now. */
const CERTIFICATION_SLACK_MS = 5 * 60 * 1000;

/** Upper-case hex fingerprint of a key. */
export function fingerprintOf(key: openpgp.Key): string {
  return key.getFingerprint().toUpperCase();
}

/**
 * Lower-cased addresses of a key's user IDs that carry a valid, unrevoked self-certification at
 * `date`. A user ID merely appended to a key (no self-signature, or one by another key) never
 * counts: anyone can append "alice@…" to their key, only the key's owner can certify it.
 */
export async function certifiedEmailsOf(key: openpgp.Key, date: Date): Promise<string[]> {
  // A certification made a moment ago by a clock running ahead of ours still counts.
  const at = new Date(date.getTime() + CERTIFICATION_SLACK_MS);
  const emails = new Set<string>();
  for (const u of key.users) {
    const email = u.userID?.email?.toLowerCase();
    if (!email || emails.has(email)) continue;
    try {
      await u.verify(at);
      emails.add(email);
    } catch {
      // Not self-certified, revoked or expired: the address is not the key owner's claim.
    }
  }
  return [...emails];
}

/** Reads every public key in armored or binary key material; ignores secret parts. */
export async function readPublicKeys(material: string | Uint8Array): Promise<openpgp.PublicKey[]> {
  const keys =
    typeof material === 'string'
      ? await openpgp.readKeys({ armoredKeys: material })
      : await openpgp.readKeys({ binaryKeys: material });
  return keys.map((k) => (k.isPrivate() ? k.toPublic() : (k as openpgp.PublicKey)));
}

/** Why a key cannot make a valid signature at `now` (expired, revoked), or null if it can. */
export async function signingProblem(key: openpgp.Key, now: Date): Promise<string | null> {
  try {
    if (await key.isRevoked(undefined, undefined, now)) return 'key is revoked';
    await key.getSigningKey(undefined, now);
    return null;
  } catch (err) {
    return explain(err);
  }
}

/** Facts about a key at `now`. Never throws on a malformed or unusable key. */
export async function describeKey(key: openpgp.Key, now: Date): Promise<KeyInfo> {
  let encryptionProblem: string | null = null;
  try {
    if (await key.isRevoked(undefined, undefined, now)) encryptionProblem = 'key is revoked';
    else await key.getEncryptionKey(undefined, now);
  } catch (err) {
    encryptionProblem = explain(err);
  }
  let expiresAt: Date | null = null;
  try {
    const exp = await key.getExpirationTime();
    expiresAt = exp instanceof Date ? exp : null;
  } catch {
    expiresAt = null;
  }
  if (!encryptionProblem && expiresAt && expiresAt <= now) encryptionProblem = 'key has expired';
  return { fingerprint: fingerprintOf(key), emails: await certifiedEmailsOf(key, now), encryptionProblem, expiresAt };
}

function explain(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  if (/expired/i.test(msg)) return 'key has expired';
  if (/revoked/i.test(msg)) return 'key is revoked';
  if (/Could not find valid encryption key packet/i.test(msg)) return 'key has no usable encryption subkey (sign-only, expired or revoked subkeys)';
  return `key is unusable: ${msg}`;
}

/** Generates a team key GnuPG 2.2 can use: ed25519 primary with a cv25519 subkey, no expiry. */
export async function generateTeamKey(name: string, email: string, now: Date): Promise<string> {
  const { privateKey } = await openpgp.generateKey({
    type: 'ecc',
    curve: 'curve25519Legacy',
    userIDs: [{ name, email }],
    date: now,
    format: 'armored',
    config: gpgCompatible,
  });
  return privateKey;
}
