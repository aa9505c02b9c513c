/**
 * The typed advisory, as validated from YAML (see docs/advisory-format.md).
 * Every renderer takes this shape; nothing downstream re-reads the YAML.
 */

/** OpenStack VMT report taxonomy. */
export const REPORT_CLASSES = ['A', 'B1', 'B2', 'B3', 'C1', 'C2', 'D', 'E', 'Y', 'Z'] as const;
export type ReportClass = (typeof REPORT_CLASSES)[number];

/** Classes that get a security note (OSSN) rather than an advisory (OSSA). */
export const NOTE_CLASSES: readonly ReportClass[] = ['B1', 'B2', 'B3', 'C1', 'C2', 'D'];

export type AdvisoryKind = 'advisory' | 'security-note';

/** Credit types exactly as OSV names them (CVE JSON 5 uses the lower-case, spaced form). */
export const CREDIT_TYPES = [
  'FINDER', 'REPORTER', 'ANALYST', 'COORDINATOR', 'REMEDIATION_DEVELOPER',
  'REMEDIATION_REVIEWER', 'REMEDIATION_VERIFIER', 'TOOL', 'SPONSOR', 'OTHER',
] as const;
export type CreditType = (typeof CREDIT_TYPES)[number];

/**
 * One comma-separated clause of a version range, already parsed.
 * Exactly one shape holds: `exact`, or `introduced` with at most one of `fixed`/`lastAffected`.
 */
export interface VersionClause {
  /** the clause as written, e.g. ">=8.0.0 <8.1.1" */
  text: string;
  exact?: string;
  /** lower bound (inclusive); "0" when the clause has none */
  introduced?: string;
  /** exclusive upper bound (`<`) */
  fixed?: string;
  /** inclusive upper bound (`<=`) */
  lastAffected?: string;
}

export interface AffectedProduct {
  product: string;
  vendor?: string;
  /** OSV ecosystem (e.g. PyPI); without it ranges are SEMVER and versions must be SemVer */
  ecosystem?: string;
  /** package name in the ecosystem; defaults to `product` */
  package?: string;
  /** the range as written */
  version: string;
  clauses: VersionClause[];
}

export interface Vulnerability {
  cveId: string;
  note?: string;
  cwe?: string;
  /** CVSS v3.x base vector, e.g. CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H */
  cvss?: string;
}

export interface Reporter {
  name: string;
  affiliation?: string;
  /** CVE IDs this reporter is credited for (all of the advisory's CVEs when omitted in YAML) */
  reported: string[];
}

export interface Credit {
  name: string;
  type: CreditType;
  affiliation?: string;
  contact: string[];
}

export interface ReviewSeries {
  series: string;
  links: string[];
}

export interface ErrataEntry {
  date: string;
  text: string;
}

export interface Contact {
  name: string;
  affiliation?: string;
  email?: string;
}

export interface Advisory {
  id: string;
  kind: AdvisoryKind;
  class: ReportClass;
  /** YYYY-MM-DD */
  date: string;
  /** one line, at most 72 characters, no control characters */
  title: string;
  vendor?: string;
  description: string;
  affectedProducts: AffectedProduct[];
  vulnerabilities: Vulnerability[];
  reporters: Reporter[];
  credits: Credit[];
  issues: { links: string[] };
  reviews: ReviewSeries[];
  notes: string[];
  errata?: string;
  errataHistory: ErrataEntry[];
  /** security notes (OSSN) */
  discussion?: string;
  recommendedActions?: string;
  contacts: Contact[];
}
