import type * as openpgp from 'openpgp';
import { describeKey, emailsOf, fingerprintOf, readPublicKeys, type KeyInfo } from '../pgp/keys.js';
import type { Db } from './db.js';

export type KeySource = 'team' | 'config' | 'import' | 'mail';

/**
 * The public keys vmtd knows, persisted in the `keys` table and held parsed in memory.
 * A key is found by fingerprint, or by address among keys whose user IDs carry that address.
 */
export class Keyring {
  private readonly keys = new Map<string, { key: openpgp.PublicKey; source: KeySource; addedAt: string }>();

  private constructor(private readonly db: Db) {}

  /** Loads every stored key. */
  static async load(db: Db): Promise<Keyring> {
    const ring = new Keyring(db);
    const rows = db.prepare('SELECT fingerprint, armored, source, added_at FROM keys ORDER BY added_at').all() as Array<{
      fingerprint: string;
      armored: string;
      source: KeySource;
      added_at: string;
    }>;
    for (const r of rows) {
      const [key] = await readPublicKeys(r.armored);
      if (key) ring.keys.set(r.fingerprint, { key, source: r.source, addedAt: r.added_at });
    }
    return ring;
  }

  /**
   * Stores keys (new ones, or newer versions of known ones, merged by openpgp) and returns them.
   * A key learned from mail never displaces the source of a key that came from config or import.
   */
  async add(keys: openpgp.PublicKey[], source: KeySource, at: string): Promise<openpgp.PublicKey[]> {
    const added: openpgp.PublicKey[] = [];
    for (const k of keys) {
      const fp = fingerprintOf(k);
      const known = this.keys.get(fp);
      let key = k;
      if (known) {
        try {
          key = await known.key.update(k);
        } catch {
          key = known.key;
        }
      }
      const keptSource = known && known.source !== 'mail' ? known.source : source;
      this.db
        .prepare(
          `INSERT INTO keys (fingerprint, armored, emails, source, added_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT(fingerprint) DO UPDATE SET armored = excluded.armored, emails = excluded.emails, source = ?`,
        )
        .run(fp, key.armor(), JSON.stringify(emailsOf(key)), keptSource, at, keptSource);
      this.keys.set(fp, { key, source: keptSource, addedAt: known?.addedAt ?? at });
      added.push(key);
    }
    return added;
  }

  /** Reads armored or binary key material and stores every public key in it. */
  async import(material: string | Uint8Array, source: KeySource, at: string): Promise<openpgp.PublicKey[]> {
    return this.add(await readPublicKeys(material), source, at);
  }

  byFingerprint(fp: string): openpgp.PublicKey | undefined {
    return this.keys.get(fp.toUpperCase())?.key;
  }

  /**
   * The key to use for an address: among keys carrying it, one from config/import before one
   * learned from mail, newest first within a source.
   */
  forEmail(email: string): openpgp.PublicKey | undefined {
    const addr = email.toLowerCase();
    const rank = (s: KeySource): number => (s === 'mail' ? 1 : 0);
    const candidates = [...this.keys.values()].filter((e) => emailsOf(e.key).includes(addr));
    candidates.sort((a, b) => rank(a.source) - rank(b.source) || b.addedAt.localeCompare(a.addedAt));
    return candidates[0]?.key;
  }

  /** Every known public key (to verify signatures against). */
  all(): openpgp.PublicKey[] {
    return [...this.keys.values()].map((e) => e.key);
  }

  /** Facts about every key, for `vmtd keys list` and doctor. */
  async describeAll(now: Date): Promise<Array<KeyInfo & { source: KeySource }>> {
    return Promise.all([...this.keys.values()].map(async (e) => ({ ...(await describeKey(e.key, now)), source: e.source })));
  }
}
