import type { Vmtd } from '../context.js';
import type { Member } from '../cases/members.js';
import { formatUtc } from '../commands/embargo.js';
import { recipientKey } from '../identity/recipient-key.js';
import { membersOf } from '../store/cases.js';
import { eventsOf } from '../store/events.js';
import type { OutgoingMail } from '../store/outbox.js';
import { calendarChange, calendarPart, calendarState, noteOf, type Attendee } from './calendar-event.js';
import { composeLetter, keyBook } from './letters.js';

/**
 * Encrypted letters carrying the case's calendar event to each attendee (each to their own key
 * by the one chooser; an attendee without a usable key is skipped: nothing goes out in clear).
 */
async function calendarLetters(ctx: Omit<Vmtd, 'verpKey' | 'log' | 'crypto'>, caseId: string, attendees: Attendee[], method: 'REQUEST' | 'CANCEL', sequence: number, embargo: Date, published: boolean): Promise<OutgoingMail[]> {
  const note = noteOf(method, embargo, published);
  const out: OutgoingMail[] = [];
  const seen = new Set<string>();
  for (const a of attendees) {
    if (seen.has(a.email)) continue;
    seen.add(a.email);
    const choice = await recipientKey(keyBook(ctx), { email: a.email, fingerprint: a.fingerprint });
    if (!choice.ok) continue;
    out.push(
      await composeLetter(ctx, {
        to: a.email,
        key: choice.key,
        caseId,
        kind: 'notice',
        subject: `[${caseId}] ${method === 'CANCEL' ? 'embargo calendar event cancelled' : `embargo ends ${formatUtc(embargo)}`}`,
        text: [
          note,
          '',
          method === 'CANCEL'
            ? 'The attached calendar event cancels the one vmtd sent before.'
            : 'The attached calendar event (iCalendar) puts the date in your calendar. It is updated when the date moves and cancelled at disclosure.',
          'It names the case and the date only; the details stay in the case\'s encrypted mail.',
        ].join('\n'),
        parts: [calendarPart(ctx, caseId, method, sequence, embargo, a, note)],
        autoSubmitted: 'auto-generated',
      }),
    );
  }
  return out;
}

/**
 * Who receives a change as a letter of its own: the members who plan by the event (coordinators,
 * experts, project contacts). Told stakeholders get the event inside the notices the planner sends
 * them (pre-disclosure, and the update for every change of date, leak, lift or early disclosure;
 * stakeholderCalendarParts): no extra mail, and at an on-time disclosure none at all (their event
 * names the time it happened).
 */
function memberAttendees(ctx: Pick<Vmtd, 'config'>, members: Member[]): Attendee[] {
  const coordinators: Attendee[] = ctx.config.coordinators.map((c) => ({ email: c.email.toLowerCase(), name: c.name, fingerprint: null }));
  const experts = members.filter((m) => m.role === 'expert' || m.role === 'project-contact').map((m) => ({ email: m.email, name: m.name, fingerprint: m.fingerprint }));
  return [...coordinators, ...experts];
}

/** What a command's change sends: the letters, and the event to record with them (in the command's transaction). */
export interface CalendarUpdate {
  mails: OutgoingMail[];
  event: { method: 'REQUEST' | 'CANCEL'; sequence: number; embargo: string; published: boolean; recipients: number } | null;
}

/**
 * The calendar letters a command's change of a case calls for (calendarChange), to the members who
 * plan by it (coordinators, experts, project contacts). When the date stands, an expert or project
 * contact the command added gets the standing event as it is (same SEQUENCE, nothing recorded).
 */
export async function calendarForChange(ctx: Omit<Vmtd, 'verpKey' | 'log' | 'crypto'>, caseId: string, after: { state: string; embargo: string | null; members: Member[] }, before: { members: Member[] }): Promise<CalendarUpdate> {
  const state = calendarState(eventsOf(ctx.db, caseId));
  const method = calendarChange(after, state.last);
  // A CANCEL names the date it cancels (the one the standing event holds).
  const embargo = method === 'REQUEST' ? after.embargo : (state.last?.embargo ?? null);
  if (!method && state.last?.method === 'REQUEST' && state.last.embargo) {
    const joined = after.members.filter((m) => !before.members.some((b) => b.email === m.email));
    const attendees = memberAttendees(ctx, joined).filter((a) => joined.some((m) => m.email === a.email));
    return { mails: await calendarLetters(ctx, caseId, attendees, 'REQUEST', state.last.sequence, new Date(state.last.embargo), false), event: null };
  }
  if (!method || !embargo) return { mails: [], event: null };
  const published = method === 'CANCEL' && after.state === 'published';
  const mails = await calendarLetters(ctx, caseId, memberAttendees(ctx, after.members), method, state.next, new Date(embargo), published);
  return { mails, event: { method, sequence: state.next, embargo, published, recipients: mails.length } };
}

/**
 * The calendar letters a case's state calls for when no command sent them: at publication by the
 * planner, or any change made outside a command (same recipients as a command's change). Nothing
 * when the standing event agrees with the case. Read from the database, so a pass after downtime
 * catches up.
 */
export async function calendarCatchUp(ctx: Omit<Vmtd, 'verpKey' | 'log' | 'crypto'>, c: { id: string; state: string; embargo: string | null }): Promise<CalendarUpdate> {
  const state = calendarState(eventsOf(ctx.db, c.id));
  const method = calendarChange(c, state.last);
  const embargo = method === 'REQUEST' ? c.embargo : (state.last?.embargo ?? null);
  if (!method || !embargo) return { mails: [], event: null };
  const published = method === 'CANCEL' && c.state === 'published';
  const mails = await calendarLetters(ctx, c.id, memberAttendees(ctx, membersOf(ctx.db, c.id)), method, state.next, new Date(embargo), published);
  return { mails, event: { method, sequence: state.next, embargo, published, recipients: mails.length } };
}
