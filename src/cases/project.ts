/**
 * The project registry's domain types (projects as data: seeded from the configuration, managed
 * by `vmtd project` and coordinators' signed mail). Pure.
 */

/** One security contact of a registered project, pinned to the fingerprint given when it was added. */
export interface ProjectContact {
  email: string;
  name: string | null;
  /** The pinned key (config contacts: their configured key file's; null when it is unreadable). */
  fingerprint: string | null;
  /** Who added it: config | cli | mail. */
  source: string;
  addedAt: string;
}

/** A project of the registry. */
export interface RegisteredProject {
  id: string;
  name: string;
  /** YYYY-MM-DD the project agreed to the disclosure policy, if it did. */
  policyAgreedAt: string | null;
  active: boolean;
  /** Where its fixes land (repository URL). */
  fixesUrl: string | null;
  source: string;
  createdAt: string;
  updatedAt: string;
  contacts: ProjectContact[];
}

/** Project IDs as the config schema has them: lower case, a letter or digit first. */
export const PROJECT_ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** A policy agreement date: YYYY-MM-DD, a real day. */
export function isDay(s: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s);
}

/** A repository URL: http(s), no spaces. */
export function isRepoUrl(s: string): boolean {
  return /^https?:\/\/[^\s/]+(\/\S*)?$/.test(s);
}

/**
 * The fingerprint a registry contact is, for membership, encryption and authority: a configured
 * person (the configuration names their address) is their configured fingerprint and nothing
 * else; anyone else is the fingerprint pinned when they were added. Pure.
 */
export function contactFingerprint(people: ReadonlyMap<string, string | null>, c: Pick<ProjectContact, 'email' | 'fingerprint'>): string | null {
  const email = c.email.toLowerCase();
  return people.has(email) ? (people.get(email) ?? null) : c.fingerprint;
}

/** The median of some numbers, or null for none. Pure. */
export function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
