// iCalendar (RFC 5545) for the embargo event, with iTIP methods (RFC 5546). Pure: text in, text out.

/** The embargo of one case as a calendar event, for one recipient. */
export interface EmbargoEvent {
  /** Stable per case, e.g. `SEC-2026-0007@example.org`: every update replaces the same event. */
  uid: string;
  /** Incremented each time the event changes (the embargo moves, it is lifted, disclosure happens). */
  sequence: number;
  /** REQUEST: the date stands (set or moved); CANCEL: no date to plan for any more. */
  method: 'REQUEST' | 'CANCEL';
  /** When the embargo ends (the disclosure time). */
  start: Date;
  /** When this version of the event was made. */
  stamp: Date;
  summary: string;
  description: string;
  organizer: { name: string; email: string };
  attendee: { name: string | null; email: string };
}

const EVENT_MINUTES = 30;

/** `YYYYMMDDTHHMMSSZ`: a UTC date-time (RFC 5545 §3.3.5, form #2). Pure. */
export function icsDateTime(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

/** A TEXT value escaped (RFC 5545 §3.3.11): backslash, semicolon, comma, newline. Pure. */
export function escapeText(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/;/g, '\\;').replace(/,/g, '\\,').replace(/\r?\n/g, '\\n');
}

/** A parameter value: quoted, without the characters a quoted parameter may not hold. Pure. */
function paramValue(s: string): string {
  return `"${s.replace(/["\p{Cc}]/gu, '').trim()}"`;
}

/**
 * Folds one content line to at most 75 octets per physical line (RFC 5545 §3.1): CRLF and one
 * space before each continuation, never inside a UTF-8 character. Pure.
 */
export function foldLine(line: string): string {
  const out: string[] = [];
  let current = '';
  let octets = 0;
  for (const ch of line) {
    const n = Buffer.byteLength(ch, 'utf8');
    // The first physical line holds 75 octets; each continuation 74 after its leading space.
    const limit = out.length === 0 ? 75 : 74;
    if (octets + n > limit) {
      out.push(current);
      current = '';
      octets = 0;
    }
    current += ch;
    octets += n;
  }
  out.push(current);
  return out.join('\r\n ');
}

/** A calendar user address: a mailto URI of a plain address. */
const mailto = (email: string): string => `mailto:${email.replace(/[^\w.+@-]/g, '')}`;

/**
 * The VCALENDAR of an embargo event: METHOD:REQUEST while the date stands, METHOD:CANCEL (STATUS:
 * CANCELLED) once there is none; CRLF line ends, folded at 75 octets. The organizer is the team;
 * the attendee the recipient, told not to answer (RSVP=FALSE: vmtd reads no replies). Pure.
 */
export function embargoCalendar(e: EmbargoEvent): string {
  const cancel = e.method === 'CANCEL';
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//vmtd//embargo calendar//EN',
    'CALSCALE:GREGORIAN',
    `METHOD:${e.method}`,
    'BEGIN:VEVENT',
    `UID:${e.uid}`,
    `SEQUENCE:${e.sequence}`,
    `DTSTAMP:${icsDateTime(e.stamp)}`,
    `DTSTART:${icsDateTime(e.start)}`,
    `DTEND:${icsDateTime(new Date(e.start.getTime() + EVENT_MINUTES * 60_000))}`,
    `SUMMARY:${escapeText(e.summary)}`,
    `DESCRIPTION:${escapeText(e.description)}`,
    `ORGANIZER;CN=${paramValue(e.organizer.name)}:${mailto(e.organizer.email)}`,
    `ATTENDEE;${e.attendee.name ? `CN=${paramValue(e.attendee.name)};` : ''}ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=FALSE:${mailto(e.attendee.email)}`,
    `STATUS:${cancel ? 'CANCELLED' : 'CONFIRMED'}`,
    // A deadline, not a meeting: it does not make anyone busy.
    'TRANSP:TRANSPARENT',
    'CLASS:CONFIDENTIAL',
    'END:VEVENT',
    'END:VCALENDAR',
  ];
  return lines.map(foldLine).join('\r\n') + '\r\n';
}
