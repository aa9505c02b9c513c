import type { CaseKind } from './kind.js';
import type { CaseState } from './lifecycle.js';
import type { Member } from './members.js';

export interface Credit {
  email: string;
  text: string;
  type: string;
}

export interface AdvisoryRevision {
  revision: number;
  state: 'draft' | 'approved' | 'withdrawn' | 'published';
}

/**
 * Everything a command may change about a case, as plain data: commands compute a new record from
 * the old one (pure), and saveCaseRecord (store/) writes the difference in one transaction.
 * (Not to be confused with an advisory's draft revision.)
 */
export interface CaseRecord {
  id: string;
  state: CaseState;
  /** vulnerability (also when absent, as in records made before kinds existed) or incident (X-KIND). */
  kind?: CaseKind;
  class: string | null;
  severity: string | null;
  title: string;
  createdAt: string;
  embargo: string | null;
  embargoOverride: string | null;
  leakedAt: string | null;
  mergedInto: string | null;
  cves: string[];
  projects: Record<string, string>;
  members: Member[];
  credits: Credit[];
  stakeholders: string[];
  advisory: AdvisoryRevision | null;
  /** A new advisory draft (YAML) to store as the next revision, with its patches. */
  newAdvisoryYaml: string | null;
  newPatches: Array<{ name: string; content: Buffer }>;
}
