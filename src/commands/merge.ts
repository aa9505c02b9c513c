import type { CaseRecord, Credit } from '../cases/record.js';
import type { Member } from '../cases/members.js';

/** What X-MERGE carries into the target case: its new reporters and credits. */
export interface MergeResult {
  target: CaseRecord;
  /** The duplicate's reporters now members of the target (not those who already were). */
  added: Member[];
  /** Credits the target gained. */
  credited: Credit[];
}

/** A display name usable as a credit line: none when it is empty or looks like an address. */
function creditName(name: string | null): string | null {
  const n = (name ?? '').replace(/[\p{Cc}\p{Cf}]+/gu, ' ').replace(/\s+/g, ' ').trim().slice(0, 120);
  return n && !n.includes('@') ? n : null;
}

/**
 * Carries a duplicate into the case it was merged into (X-MERGE). Each reporter of the duplicate
 * becomes a reporter of the target with the key their membership holds, pinned or not as it was
 * (a pin came from their own signed mail; a merely learned key still only encrypts to them). Every
 * credit given in the duplicate (X-CREDIT) is carried over; a reporter of the duplicate with no
 * credit of their own there is credited as REPORTER under the name they gave in their mail, never
 * their address (no name: no credit; they may set one with X-CREDIT in the target). Nothing is
 * duplicated: someone already a member keeps their membership, a credit already there is not added
 * again. Pure.
 */
export function mergeInto(target: CaseRecord, duplicate: CaseRecord): MergeResult {
  const t: CaseRecord = structuredClone(target);
  const added: Member[] = [];
  const credited: Credit[] = [];
  for (const r of duplicate.members.filter((m) => m.role === 'reporter')) {
    if (t.members.some((m) => m.email === r.email)) continue;
    const m: Member = { ...r, projectId: null };
    t.members.push(m);
    added.push(m);
  }
  const give = (c: Credit): void => {
    if (t.credits.some((x) => x.email === c.email && x.text === c.text)) return;
    t.credits.push(c);
    credited.push(c);
  };
  for (const c of duplicate.credits) give(c);
  for (const r of duplicate.members.filter((m) => m.role === 'reporter')) {
    if (duplicate.credits.some((c) => c.email === r.email) || t.credits.some((c) => c.email === r.email)) continue;
    const name = creditName(r.name);
    if (name) give({ email: r.email, text: name, type: 'REPORTER' });
  }
  return { target: t, added, credited };
}
