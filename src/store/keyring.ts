import * as openpgp from 'openpgp';
import { certifiedEmailsOf, describeKey, fingerprintOf, readPublicKeys, type KeyInfo } from '../pgp/keys.js';
import { KeyChangeLog, type ChangingKeys, type KeyChanges } from '../pgp/key-changes.js';
import type { Db } from './db.js';

/**
 * Where a key came from. `team`, `config` and `import` were put there by the operator (or by a
 * coordinator's signed command, which imports): they are trusted material. `mail` was offered by
 * whoever sent a message (attachment, Autocrypt): usable to encrypt to that sender, never trusted.
 */
export type KeySource = 'team' | 'config' | 'import' | 'mail';

interface Entry {
  key: openpgp.PublicKey;
  source: KeySource;
  addedAt: string;
  /** Addresses of self-certified, unrevoked user IDs (as of when the key was stored). */
  emails: string[];
}

const trusted = (s: KeySource): boolean => s !== 'mail';

/**
 * The public keys vmtd knows, persisted in the `keys` table and held parsed in memory.
 * A key is found by fingerprint, or by address among keys whose self-certified user IDs carry it.
 * Key material learned from mail never changes a trusted key (only a verified revocation of it
 * is taken), so a sender can neither graft user IDs onto an operator's key nor replace it.
 */
export class Keyring implements ChangingKeys {
  private keys = new Map<string, Entry>();
  private readonly changes = new KeyChangeLog();

  private constructor(private readonly db: Db) {}

  /** Loads every stored key. */
  static async load(db: Db, now: Date): Promise<Keyring> {
    const ring = new Keyring(db);
    await ring.reload(now);
    return ring;
  }

  /** Reads the stored keys again (after `vmtd keys import` by another process, or SIGHUP). */
  async reload(now: Date): Promise<void> {
    const rows = this.db.prepare('SELECT fingerprint, armored, source, added_at FROM keys ORDER BY added_at').all() as Array<{
      fingerprint: string;
      armored: string;
      source: KeySource;
      added_at: string;
    }>;
    const keys = new Map<string, Entry>();
    for (const r of rows) {
      try {
        const [key] = await readPublicKeys(r.armored);
        if (key) keys.set(r.fingerprint, { key, source: r.source, addedAt: r.added_at, emails: await certifiedEmailsOf(key, now) });
      } catch {
        // One unreadable stored key must not make every other key unavailable.
      }
    }
    this.keys = keys;
    this.changes.noteReload();
  }

  /**
   * Stores keys (new ones, or newer versions of known ones, merged by openpgp) and returns the
   * ones stored. Mail never merges into a trusted key: of such material only a verified
   * revocation is kept, and the key is not returned as learned.
   */
  async add(keys: openpgp.PublicKey[], source: KeySource, at: string): Promise<openpgp.PublicKey[]> {
    const now = new Date(at);
    const added: openpgp.PublicKey[] = [];
    for (const k of keys) {
      const fp = fingerprintOf(k);
      const known = this.keys.get(fp);
      if (known && trusted(known.source) && !trusted(source)) {
        await this.takeRevocation(known, k, now);
        continue;
      }
      let key = k;
      if (known) {
        try {
          key = await known.key.update(k, now);
        } catch {
          key = known.key;
        }
      }
      const keptSource = known && trusted(known.source) ? known.source : source;
      this.store(fp, { key, source: keptSource, addedAt: known?.addedAt ?? at, emails: await certifiedEmailsOf(key, now) }, at);
      added.push(key);
    }
    return added;
  }

  /** Keeps a key-level revocation that `offered` carries for a trusted key (verified by openpgp's merge). */
  private async takeRevocation(known: Entry, offered: openpgp.PublicKey, now: Date): Promise<void> {
    try {
      if (await known.key.isRevoked(undefined, undefined, now)) return;
      const merged = await known.key.update(offered, now);
      if (!(await merged.isRevoked(undefined, undefined, now))) return;
      const copy = (await readPublicKeys(known.key.write()))[0]!;
      copy.revocationSignatures = merged.revocationSignatures;
      const fp = fingerprintOf(copy);
      this.store(fp, { ...known, key: copy, emails: await certifiedEmailsOf(copy, now) }, known.addedAt);
    } catch {
      // Unreadable or unverifiable material changes nothing.
    }
  }

  private store(fp: string, e: Entry, at: string): void {
    this.db
      .prepare(
        `INSERT INTO keys (fingerprint, armored, emails, source, added_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(fingerprint) DO UPDATE SET armored = excluded.armored, emails = excluded.emails, source = excluded.source`,
      )
      .run(fp, e.key.armor(), JSON.stringify(e.emails), e.source, at);
    this.keys.set(fp, e);
    this.changes.noteStored(fp, keyIdsOf(e.key));
  }

  /** Reads armored or binary key material and stores every public key in it. */
  async import(material: string | Uint8Array, source: KeySource, at: string): Promise<openpgp.PublicKey[]> {
    return this.add(await readPublicKeys(material), source, at);
  }

  byFingerprint(fp: string): openpgp.PublicKey | undefined {
    return this.keys.get(fp.toUpperCase())?.key;
  }

  /** Where a key came from, or undefined when it is not in the keyring. */
  sourceOf(fp: string): KeySource | undefined {
    return this.keys.get(fp.toUpperCase())?.source;
  }

  /** Self-certified addresses of a stored key (empty when unknown). */
  emailsOf(fp: string): string[] {
    return this.keys.get(fp.toUpperCase())?.emails ?? [];
  }

  /**
   * Keys whose self-certified user IDs carry `email`, newest first. With `trustedOnly`, keys
   * learned from mail are left out: what authorizes or names a member must never come from them.
   */
  keysFor(email: string, opts: { trustedOnly: boolean }): openpgp.PublicKey[] {
    const addr = email.toLowerCase();
    return [...this.keys.values()]
      .filter((e) => e.emails.includes(addr) && (!opts.trustedOnly || trusted(e.source)))
      .sort((a, b) => Number(trusted(b.source)) - Number(trusted(a.source)) || b.addedAt.localeCompare(a.addedAt))
      .map((e) => e.key);
  }

  /** Every known public key (to verify signatures against). */
  all(): openpgp.PublicKey[] {
    return [...this.keys.values()].map((e) => e.key);
  }

  /** Facts about one key (`vmtd keys show`), or undefined when it is not in the keyring. */
  async describe(fp: string, now: Date): Promise<(KeyInfo & { source: KeySource; addedAt: string }) | undefined> {
    const e = this.keys.get(fp.toUpperCase());
    return e && { ...(await describeKey(e.key, now)), source: e.source, addedAt: e.addedAt };
  }

  /** Fingerprints of the keys (any source) whose self-certified user IDs carry `email`. */
  fingerprintsFor(email: string): string[] {
    const addr = email.toLowerCase();
    return [...this.keys.entries()].filter(([, e]) => e.emails.includes(addr)).map(([fp]) => fp);
  }

  /** Deletes a key (the caller has checked nothing relies on it); true when it was there. */
  remove(fp: string): boolean {
    const f = fp.toUpperCase();
    const n = this.db.prepare('DELETE FROM keys WHERE fingerprint = ?').run(f).changes;
    const known = this.keys.get(f);
    if (known) this.changes.noteRemoved(f, keyIdsOf(known.key));
    return this.keys.delete(f) || n > 0;
  }

  /** Facts about every key, for `vmtd keys list` and doctor. */
  async describeAll(now: Date): Promise<Array<KeyInfo & { source: KeySource }>> {
    return Promise.all([...this.keys.values()].map(async (e) => ({ ...(await describeKey(e.key, now)), source: e.source })));
  }

  generation(): number {
    return this.changes.generation();
  }

  changesSince(since: number): KeyChanges {
    const c = this.changes.since(since);
    const fps = c.reset ? [...this.keys.keys()] : c.stored;
    const upsert = fps.flatMap((fingerprint) => {
      const e = this.keys.get(fingerprint);
      return e ? [{ fingerprint, armored: e.key.armor() }] : [];
    });
    return { reset: c.reset, upsert, remove: c.removed };
  }

  keyIdsChangedSince(since: number): Set<string> | null {
    return this.changes.keyIdsSince(since);
  }
}

/** The key IDs of a key and its subkeys (16 hex digits, upper case): what a signature names as issuer. */
function keyIdsOf(key: openpgp.PublicKey): string[] {
  return key.getKeyIDs().map((id) => id.toHex().toUpperCase());
}
