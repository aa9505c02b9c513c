import type { Db } from '../store/db.js';
import { eventsOf } from '../store/events.js';

export interface TimelineEntry {
  event: string;
  date: string;
}

/**
 * The public timeline of a case (oCERT style), dates only, from the audit log: received,
 * confirmed, notified, fixed, published. Never any discussion or content.
 */
export function caseTimeline(db: Db, caseId: string, createdAt: string, publishedAt: Date): TimelineEntry[] {
  const day = (iso: string): string => iso.slice(0, 10);
  const events = eventsOf(db, caseId);
  const entries: TimelineEntry[] = [{ event: 'Report received', date: day(createdAt) }];
  const confirmed = events.find((e) => e.kind === 'state' && e.detail.to === 'accepted');
  if (confirmed) entries.push({ event: 'Issue confirmed', date: day(confirmed.at) });
  const notified = events.find((e) => e.kind === 'pre-disclosure');
  if (notified) entries.push({ event: 'Downstream stakeholders notified', date: day(notified.at) });
  const fixed = events.find((e) => e.kind === 'command' && e.detail.keyword === 'PROJECT-STATUS' && /\bfixed\b/.test(String(e.detail.args ?? '')));
  if (fixed) entries.push({ event: 'Fix available', date: day(fixed.at) });
  entries.push({ event: 'Advisory published', date: day(publishedAt.toISOString()) });
  return entries;
}

/** The timeline as a plain-text section for the advisory mail. */
export function timelineText(entries: TimelineEntry[]): string {
  return ['Timeline', '~~~~~~~~', ...entries.map((e) => `${e.date}  ${e.event}`)].join('\n');
}
