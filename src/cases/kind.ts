/**
 * A case's kind: a vulnerability (the default) or an incident (a compromise of a project's
 * infrastructure: a stolen signing key, a backdoored release, a hacked CI). Both run through the
 * one lifecycle table (lifecycle.ts); an incident only names its states with words of its own,
 * which people see (case show, digest, answers) and may write in X-STATE. Pure.
 */
import { caseStates, type CaseState } from './lifecycle.js';

export const caseKinds = ['vulnerability', 'incident'] as const;
export type CaseKind = (typeof caseKinds)[number];

/** Whether a string is a case kind (lower case). */
export function isCaseKind(s: string): s is CaseKind {
  return (caseKinds as readonly string[]).includes(s);
}

/** An incident's words for the lifecycle states: reported → investigating → contained → (scheduled) → disclosed → closed. */
const incidentWords: Record<CaseState, string> = {
  new: 'reported',
  triaged: 'investigating',
  accepted: 'contained',
  scheduled: 'scheduled',
  published: 'disclosed',
  closed: 'closed',
  rejected: 'rejected',
  duplicate: 'duplicate',
};

/** The word people read for a state of a case of this kind (a vulnerability's words are the states themselves). Total. */
export function stateWord(kind: CaseKind, state: CaseState): string {
  return kind === 'incident' ? incidentWords[state] : state;
}

/** The words of every state of a kind, in lifecycle order. */
export function stateWords(kind: CaseKind): string[] {
  return caseStates.map((s) => stateWord(kind, s));
}

/**
 * The lifecycle state a word names for a case of this kind, or null. An incident takes its own
 * words and, as synonyms, the vulnerability words (the same states: `triaged` is `investigating`),
 * so a coordinator's habit never fails a command; a vulnerability takes only its own words.
 * Case-insensitive.
 */
export function stateOfWord(kind: CaseKind, word: string): CaseState | null {
  const w = word.trim().toLowerCase();
  const own = caseStates.find((s) => stateWord(kind, s) === w);
  if (own) return own;
  return kind === 'incident' ? (caseStates.find((s) => s === w) ?? null) : null;
}
