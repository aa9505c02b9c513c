import { randomBytes } from 'node:crypto';
import type { Vmtd } from '../context.js';
import { formatUtc } from '../commands/embargo.js';
import { caseAddress, intakeAddress } from '../mail/addresses.js';
import { getCase } from '../store/cases.js';
import { eventsOf, type EventRow } from '../store/events.js';
import { embargoCalendar, type EmbargoEvent } from './ical.js';

// The embargo's calendar event: its state read from the case's events, and the part one recipient gets.

/** The calendar event of a case as its history (events) records it. */
export interface CalendarState {
  /** The SEQUENCE the next change gets: every event sent so far and every publication count. */
  next: number;
  /**
   * The last event sent, null when none was: its method, sequence, the date it named (for a
   * CANCEL: the date cancelled) and, for a CANCEL, whether disclosure happened or the embargo was lifted.
   */
  last: { method: 'REQUEST' | 'CANCEL'; sequence: number; embargo: string | null; published: boolean } | null;
}

/** Reads the calendar state from a case's events (kind `calendar`, written with each change sent). Pure. */
export function calendarState(events: Array<Pick<EventRow, 'kind' | 'detail'>>): CalendarState {
  let next = 0;
  let last = null as CalendarState['last'];
  for (const e of events) {
    if (e.kind !== 'calendar') continue;
    const d = e.detail as { method?: string; sequence?: number; embargo?: string | null; published?: boolean };
    last = { method: d.method === 'CANCEL' ? 'CANCEL' : 'REQUEST', sequence: Number(d.sequence ?? next), embargo: d.embargo ?? null, published: d.published === true };
    next++;
  }
  return { next, last };
}

const ended = (state: string): boolean => ['published', 'closed', 'rejected', 'duplicate'].includes(state);

/**
 * What a change of a case means for its calendar event: REQUEST when an open case has an embargo
 * that no sent event names yet (set, moved, or set again after a cancel); CANCEL when a sent event
 * stands but there is no date to plan for any more (embargo lifted, published, closed, rejected,
 * merged); else nothing. Pure.
 */
export function calendarChange(after: { state: string; embargo: string | null }, last: CalendarState['last']): 'REQUEST' | 'CANCEL' | null {
  const active = last?.method === 'REQUEST';
  if (ended(after.state) || after.embargo === null) return active ? 'CANCEL' : null;
  return active && last.embargo === after.embargo ? null : 'REQUEST';
}

/** The MIME entity of an iMIP calendar part (RFC 6047), base64 so that its CRLF line ends travel untouched. */
export function calendarEntity(ics: string, method: 'REQUEST' | 'CANCEL', fileName: string): Buffer {
  const b64 = Buffer.from(ics, 'utf8').toString('base64').replace(/.{76}/g, '$&\r\n');
  return Buffer.from(`Content-Type: text/calendar; charset=utf-8; method=${method}; name="${fileName}"\r\nContent-Disposition: attachment; filename="${fileName}"\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64}\r\n`);
}

export interface Attendee {
  email: string;
  name: string | null;
  /** The pinned fingerprint of a member (configured people get their configured key regardless). */
  fingerprint: string | null;
}

/**
 * The event as one recipient gets it. It carries the case ID and the date only, never the title
 * or any detail: calendars sync to servers in clear, and the mail around it is the only encrypted part.
 */
function eventFor(ctx: Pick<Vmtd, 'config' | 'clock'>, caseId: string, method: 'REQUEST' | 'CANCEL', sequence: number, embargo: Date, to: Attendee, note: string): EmbargoEvent {
  const i = ctx.config.instance;
  return {
    uid: `${caseId}@${i.domain}`,
    sequence,
    method,
    start: embargo,
    stamp: ctx.clock(),
    summary: method === 'CANCEL' ? `${caseId}: embargo over` : `${caseId}: embargo ends`,
    description: `${note} Case ${caseId}, ${caseAddress(i, caseId)}. Details only in the case's encrypted mail.`,
    organizer: { name: i.name, email: intakeAddress(i) },
    attendee: { name: to.name, email: to.email },
  };
}

/** The calendar part (entity) of one recipient's letter. */
export function calendarPart(ctx: Pick<Vmtd, 'config' | 'clock'>, caseId: string, method: 'REQUEST' | 'CANCEL', sequence: number, embargo: Date, to: Attendee, note: string): Buffer {
  return calendarEntity(embargoCalendar(eventFor(ctx, caseId, method, sequence, embargo, to, note)), method, `${caseId}-${randomBytes(3).toString('hex')}.ics`);
}

export function noteOf(method: 'REQUEST' | 'CANCEL', embargo: Date, published: boolean): string {
  if (method === 'REQUEST') return `The embargo ends ${formatUtc(embargo)}.`;
  return published ? 'Disclosure happened: the embargo is over.' : 'The embargo was lifted: there is no disclosure date for now.';
}

/**
 * The calendar part of a notice to a stakeholder (pre-disclosure or update): the case's event as
 * the last change left it (REQUEST with its date; CANCEL when the embargo was lifted or disclosure
 * came early), with the sequence the members' copies were sent with, so every copy of the event
 * agrees. Empty when none was sent.
 */
export function stakeholderCalendarParts(ctx: Pick<Vmtd, 'config' | 'db' | 'sealer' | 'clock'>, caseId: string, to: { email: string; name: string }): Buffer[] {
  const { last, next } = calendarState(eventsOf(ctx.db, caseId));
  if (!last?.embargo) return [];
  const attendee = { email: to.email.toLowerCase(), name: to.name, fingerprint: null };
  // A change no event records yet (made outside a command; the calendar catch-up after this pass
  // sends it to the members with the next SEQUENCE): the notice carries the event as it will be.
  const c = getCase(ctx.db, ctx.sealer, caseId);
  const change = c ? calendarChange({ state: c.state, embargo: c.embargo }, last) : null;
  if (change === 'REQUEST' && c?.embargo) {
    const embargo = new Date(c.embargo);
    return [calendarPart(ctx, caseId, 'REQUEST', next, embargo, attendee, noteOf('REQUEST', embargo, false))];
  }
  const method = change ?? last.method;
  const embargo = new Date(last.embargo);
  const published = change ? c?.state === 'published' : last.published;
  return [calendarPart(ctx, caseId, method, change ? next : last.sequence, embargo, attendee, noteOf(method, embargo, published))];
}
