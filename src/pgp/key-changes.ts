/** What changed in a set of public keys since a generation: what a copy of it must apply. */
export interface KeyChanges {
  /** The copy starts over (the set was reloaded, or the copy is new). */
  reset: boolean;
  upsert: Array<{ fingerprint: string; armored: string }>;
  remove: string[];
}

/** A source of public keys that counts its changes, so copies of it (in worker threads) can follow. */
export interface ChangingKeys {
  /** Increases with every change. */
  generation(): number;
  /** Everything to apply to a copy taken at `since` (0: a new copy) to make it current. */
  changesSince(since: number): KeyChanges;
  /**
   * The key IDs (16 hex digits, upper case, primary keys and subkeys) of every key that changed
   * after `since`; null when that is not known (the set was reloaded since).
   */
  keyIdsChangedSince(since: number): Set<string> | null;
}

interface Change {
  at: number;
  keyIds: string[];
}

/**
 * Bookkeeping of changes to a keyed set of public keys: generation numbers per fingerprint for
 * stored and removed keys, and a reload mark. The keyring owns one; it stays a plain data structure.
 */
export class KeyChangeLog {
  private gen = 0;
  private resetAt = 0;
  private readonly stored = new Map<string, Change>();
  private readonly removed = new Map<string, Change>();

  generation(): number {
    return this.gen;
  }

  /** Records that the key `fingerprint` (with these key IDs) was stored or replaced. */
  noteStored(fingerprint: string, keyIds: string[]): void {
    this.stored.set(fingerprint, { at: ++this.gen, keyIds });
    this.removed.delete(fingerprint);
  }

  /** Records that the key was removed. */
  noteRemoved(fingerprint: string, keyIds: string[]): void {
    this.removed.set(fingerprint, { at: ++this.gen, keyIds });
    this.stored.delete(fingerprint);
  }

  /** Records a reload: every copy starts over. */
  noteReload(): void {
    this.resetAt = ++this.gen;
    this.stored.clear();
    this.removed.clear();
  }

  /** The fingerprints stored and removed after `since`; `reset` when a copy that old must start over. */
  since(since: number): { reset: boolean; stored: string[]; removed: string[] } {
    if (since === 0 || since < this.resetAt) return { reset: true, stored: [], removed: [] };
    const after = (m: Map<string, Change>): string[] => [...m].filter(([, c]) => c.at > since).map(([fp]) => fp);
    return { reset: false, stored: after(this.stored), removed: after(this.removed) };
  }

  /** Key IDs of keys stored or removed after `since`; null when a reload happened since. */
  keyIdsSince(since: number): Set<string> | null {
    if (since < this.resetAt) return null;
    const ids = new Set<string>();
    for (const m of [this.stored, this.removed]) for (const c of m.values()) if (c.at > since) c.keyIds.forEach((id) => ids.add(id));
    return ids;
  }
}
