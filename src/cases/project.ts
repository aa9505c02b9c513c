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

/** One case of a project, as its record needs it (facts only, no content). */
export interface ProjectCaseFacts {
  caseId: string;
  state: string;
  createdAt: string;
  embargo: string | null;
  overridden: boolean;
  /** When the case last changed (a closed case's end, when it has no disclosure time). */
  updatedAt: string;
  /** When the project's contacts joined the case (null: none was a member). */
  contactsAddedAt: string | null;
  /** The first message from one of them. */
  firstResponseAt: string | null;
  /** The first X-PROJECT-STATUS that set the project fixed. */
  fixedAt: string | null;
}

/** What `vmtd project show` reports about a project's cases. */
export interface ProjectRecord {
  cases: { total: number; open: number; closed: number; openIds: string[] };
  /** Median hours from the contacts joining a case to their first message; cases never answered. */
  firstResponse: { medianHours: number | null; answered: number; unanswered: number };
  /** Median days from the report to the project's status `fixed`. */
  timeToFix: { medianDays: number | null; fixed: number };
  /** Cases that were (or are) embargoed beyond the policy maximum without an override. */
  embargoOverruns: { count: number; caseIds: string[]; overridden: number };
}

const HOUR = 3_600_000;
const OPEN = ['new', 'triaged', 'accepted', 'scheduled'];
const round1 = (x: number | null): number | null => (x === null ? null : Math.round(x * 10) / 10);

/**
 * A project's record from its cases' facts: open and closed cases, the contacts' median time to
 * first response, the median time to fix, and embargo overruns (an open case past
 * `maxEmbargoDays` after its report, or one disclosed or closed after that, without an override). Pure.
 */
export function projectRecord(cases: ProjectCaseFacts[], now: Date, maxEmbargoDays: number): ProjectRecord {
  const open = cases.filter((c) => OPEN.includes(c.state));
  const answered = cases.filter((c) => c.contactsAddedAt && c.firstResponseAt);
  const responses = answered.map((c) => Math.max(0, Date.parse(c.firstResponseAt!) - Date.parse(c.contactsAddedAt!)) / HOUR);
  const fixes = cases.filter((c) => c.fixedAt).map((c) => Math.max(0, Date.parse(c.fixedAt!) - Date.parse(c.createdAt)) / (24 * HOUR));
  const over = cases.filter((c) => {
    if (c.overridden) return false;
    const limit = Date.parse(c.createdAt) + maxEmbargoDays * 24 * HOUR;
    const end = OPEN.includes(c.state) ? now.getTime() : Date.parse(c.state === 'published' && c.embargo ? c.embargo : c.updatedAt);
    return end > limit;
  });
  return {
    cases: { total: cases.length, open: open.length, closed: cases.length - open.length, openIds: open.map((c) => c.caseId) },
    firstResponse: { medianHours: round1(median(responses)), answered: answered.length, unanswered: cases.filter((c) => c.contactsAddedAt && !c.firstResponseAt).length },
    timeToFix: { medianDays: round1(median(fixes)), fixed: fixes.length },
    embargoOverruns: { count: over.length, caseIds: over.map((c) => c.caseId), overridden: cases.filter((c) => c.overridden).length },
  };
}
