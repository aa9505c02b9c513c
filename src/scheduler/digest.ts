import { formatUtc } from '../commands/embargo.js';
import { isCaseKind, stateWord } from '../cases/kind.js';
import { isCaseState } from '../cases/lifecycle.js';

export interface DigestFacts {
  now: Date;
  maxEmbargoDays: number;
  /** overridden: X-EMBARGO-OVERRIDE was accepted, so the policy maximum does not apply. */
  cases: Array<{ id: string; state: string; createdAt: Date; embargo: Date | null; overridden?: boolean; /** incident or vulnerability (absent: vulnerability) */ kind?: string }>;
  /** Deliveries that failed in the last day (by the time they failed, however long ago they were queued). */
  failedDeliveries: Array<{ caseId: string | null; rcpt: string; kind: string }>;
  keys: Array<{ email: string; caseIds: string[]; problem: string | null; expiresAt: Date | null }>;
  /** The configured stakeholders' keys: a notice to a stakeholder whose key expired is not sent. */
  stakeholderKeys?: Array<{ id: string; email: string; problem: string | null; expiresAt: Date | null }>;
  /** Pre-disclosure notices still planned (never cancelled or sent ones), with when each is due. */
  pendingNotices?: Array<{ caseId: string; stakeholder: string; dueAt: Date }>;
}

const DAY = 86_400_000;
/** Keys (members' and stakeholders') expiring within this many days are named in the digest. */
export const KEY_WARNING_DAYS = 30;
/** Planned notices due within this many days (or overdue) are named in the digest. */
export const NOTICE_WARNING_DAYS = 3;
/** A digest is read by a person: beyond this many reminders it names how many more there are. */
export const DIGEST_MAX_ITEMS = 200;
const MAX_CASES_PER_KEY = 10;

/** Distinct quarantine reasons a digest names; the rest are counted together. */
export const DIGEST_MAX_REASONS = 20;

/**
 * The digest's quarantine section: the messages quarantined in the last day (and still there),
 * as `COUNT × reason` lines, most frequent first. Reasons name the problem, never content. Pure.
 */
export function quarantineSummary(byReason: Array<{ reason: string; count: number }>): { total: number; reasons: string[] } {
  const total = byReason.reduce((n, r) => n + r.count, 0);
  const shown = byReason.length <= DIGEST_MAX_REASONS ? byReason : byReason.slice(0, DIGEST_MAX_REASONS - 1);
  const reasons = shown.map((r) => `${r.count} × ${r.reason}`);
  const rest = byReason.slice(shown.length).reduce((n, r) => n + r.count, 0);
  if (rest > 0) reasons.push(`${rest} × other reasons (${byReason.length - shown.length} more)`);
  return { total, reasons };
}

const caseNames = (ids: string[]): string => (ids.length <= MAX_CASES_PER_KEY ? ids.join(', ') : `${ids.slice(0, MAX_CASES_PER_KEY).join(', ')} and ${ids.length - MAX_CASES_PER_KEY} more`);
const open = (s: string): boolean => !['published', 'closed', 'rejected', 'duplicate'].includes(s);

/**
 * The reminders of a coordinator's daily digest: untriaged cases, embargoes ending soon, cases
 * without an embargo, embargoes beyond the policy (unless overridden), planned notices due soon or
 * overdue, failed deliveries, members' and configured stakeholders' keys expiring within
 * KEY_WARNING_DAYS or unusable. Empty when nothing needs attention; at most DIGEST_MAX_ITEMS
 * reminders, the last of them saying how many were left out. Pure.
 */
export function digestItems(f: DigestFacts): string[] {
  const items: string[] = [];
  const t = f.now.getTime();
  for (const c of f.cases.filter((c) => open(c.state))) {
    const age = (t - c.createdAt.getTime()) / DAY;
    // An incident is named as one, in its own state words, every day it is open: it needs attention now.
    const incident = c.kind === 'incident';
    const id = incident ? `${c.id} (incident)` : c.id;
    const word = c.kind && isCaseKind(c.kind) && isCaseState(c.state) ? stateWord(c.kind, c.state) : c.state;
    if (incident) items.push(`${id}: open incident, ${word}${c.state === 'new' ? ': investigate it' : ''}`);
    else if (c.state === 'new' && age >= 2) items.push(`${id}: still new after ${Math.floor(age)} days: triage it`);
    if (c.embargo && c.embargo.getTime() > t && c.embargo.getTime() - t <= 3 * DAY) items.push(`${id}: ${incident ? 'public notice due' : 'embargo ends'} ${formatUtc(c.embargo)}`);
    if (!c.embargo && age >= 14) items.push(`${id}: no embargo set after ${Math.floor(age)} days`);
    const limit = c.createdAt.getTime() + f.maxEmbargoDays * DAY;
    if (!c.overridden && ((c.embargo && c.embargo.getTime() > limit) || t > limit)) items.push(`${id}: beyond the policy maximum of ${f.maxEmbargoDays} days since the report`);
  }
  for (const n of f.pendingNotices ?? []) {
    const due = n.dueAt.getTime();
    if (due <= t) items.push(`${n.caseId}: pre-disclosure to ${n.stakeholder} was due ${formatUtc(n.dueAt)} and is not sent (is the advisory approved?)`);
    else if (due - t <= NOTICE_WARNING_DAYS * DAY) items.push(`${n.caseId}: pre-disclosure to ${n.stakeholder} due ${formatUtc(n.dueAt)}`);
  }
  for (const d of f.failedDeliveries) items.push(`${d.caseId ?? '(no case)'}: ${d.kind} to ${d.rcpt} failed`);
  for (const k of f.keys) {
    if (k.problem) items.push(`key of ${k.email} (${caseNames(k.caseIds)}): ${k.problem}`);
    else if (k.expiresAt && k.expiresAt.getTime() - t <= KEY_WARNING_DAYS * DAY) items.push(`key of ${k.email} (${caseNames(k.caseIds)}) expires ${formatUtc(k.expiresAt)}`);
  }
  for (const k of f.stakeholderKeys ?? []) {
    if (k.problem) items.push(`key of stakeholder ${k.id} <${k.email}>: ${k.problem}; its notices are not sent`);
    else if (k.expiresAt && k.expiresAt.getTime() - t <= KEY_WARNING_DAYS * DAY) items.push(`key of stakeholder ${k.id} <${k.email}> expires ${formatUtc(k.expiresAt)}: ask for a renewed key`);
  }
  if (items.length <= DIGEST_MAX_ITEMS) return items;
  const shown = items.slice(0, DIGEST_MAX_ITEMS - 1);
  return [...shown, `... and ${items.length - shown.length} more reminders (vmtd case list shows every case)`];
}
