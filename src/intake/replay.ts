import type { PayloadSighting } from '../store/seen.js';

/** What an encrypted payload seen before means for the message that carries it again. */
export type ReplayVerdict =
  | { kind: 'fresh' }
  /** The same sender sends it again to the same case (or to the intake): a resend, nothing new to relay. */
  | { kind: 'resend'; caseId: string | null }
  /** Someone else, or into another case: a decryption-oracle attempt. */
  | { kind: 'replay'; firstSpool: number };

/**
 * Judges a message whose encrypted payloads may have been decrypted before: a ciphertext is
 * decrypted into one case only. The first sighting fixes its sender and case; the same sender
 * sending it again to that case, or to the intake address, is a resend; anything else is a
 * replay. Pure.
 */
export function judgeReplay(sightings: PayloadSighting[], sender: string | null, caseId: string | undefined): ReplayVerdict {
  if (sightings.length === 0) return { kind: 'fresh' };
  const first = sightings[0]!;
  const sameOrigin = sightings.every((s) => s.sender === sender && s.caseId === first.caseId);
  if (sameOrigin && (caseId === undefined || caseId === first.caseId)) return { kind: 'resend', caseId: first.caseId };
  return { kind: 'replay', firstSpool: Math.min(...sightings.map((s) => s.spoolId)) };
}

/**
 * Whether opening one more case stays within the limits (per sender and in all, per hour), or
 * the reason it does not. The reason names the rule and the address, never content. Pure.
 */
export function openingLimit(counts: { bySender: number; all: number }, limits: { perSender: number; all: number }, sender: string | null): string | null {
  if (sender && counts.bySender >= limits.perSender) return `rate limit: more than ${limits.perSender} new cases from ${sender} in an hour`;
  if (counts.all >= limits.all) return `rate limit: more than ${limits.all} new cases in an hour`;
  return null;
}
