import type * as openpgp from 'openpgp';
import { describeKey } from '../pgp/keys.js';
import type { Keyring } from '../store/keyring.js';
import type { ConfiguredPeople } from './configured.js';

/** Someone vmtd is about to encrypt to. */
export interface KeyedRecipient {
  email: string;
  /** The fingerprint pinned for them (a case membership), if any. */
  fingerprint: string | null;
  /**
   * Whether a key learned from their own mail may be used when none is pinned: true only for a
   * reporter (or anyone vmtd answers about their own message), whose mailbox is the only one such
   * a key can open to. Never for anyone whose key authorizes or who reads other people's mail.
   */
  learnedKeyAllowed?: boolean;
}

export type KeyChoice = { ok: true; key: openpgp.PublicKey } | { ok: false; problem: string };

/** What recipientKey reads: the keyring, the configured people, and the time keys are judged at. */
export interface KeyBook {
  keyring: Keyring;
  people: ConfiguredPeople;
  now: Date;
}

/**
 * The one place that chooses the key a mail is encrypted to, for every kind of mail (relays,
 * answers, alerts, notices, digests). A configured person gets their configured key and no other;
 * a member gets the key pinned on their membership; only where `learnedKeyAllowed` may a key
 * learned from mail serve. An unusable key (expired, revoked, sign-only, missing) is a problem
 * stated, never an exception: the caller skips that recipient and says so.
 */
export async function recipientKey(book: KeyBook, r: KeyedRecipient): Promise<KeyChoice> {
  const email = r.email.toLowerCase();
  let key: openpgp.PublicKey | undefined;
  if (book.people.has(email)) {
    const fp = book.people.get(email);
    if (!fp) return { ok: false, problem: 'no usable key configured for this address (key file missing or unreadable)' };
    key = book.keyring.byFingerprint(fp);
    if (!key) return { ok: false, problem: `its configured key ${fp} is not in the keyring` };
  } else if (r.fingerprint) {
    key = book.keyring.byFingerprint(r.fingerprint);
    if (!key) return { ok: false, problem: `its pinned key ${r.fingerprint} is not in the keyring` };
  } else if (r.learnedKeyAllowed) {
    const candidates = book.keyring.keysFor(email, { trustedOnly: false });
    for (const k of candidates) {
      if (!(await describeKey(k, book.now)).encryptionProblem) return { ok: true, key: k };
    }
    return { ok: false, problem: candidates.length > 0 ? 'its keys cannot encrypt (expired, revoked or sign-only)' : 'no key known for this address' };
  } else {
    return { ok: false, problem: 'no key is pinned for this member' };
  }
  const info = await describeKey(key, book.now);
  return info.encryptionProblem ? { ok: false, problem: info.encryptionProblem } : { ok: true, key };
}
