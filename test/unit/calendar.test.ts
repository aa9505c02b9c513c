// Issue 15, the pure decisions: the iCalendar text (folding, escaping), when an embargo event is
// requested or cancelled and with which SEQUENCE, and what X-MERGE carries into the target case.
import t from 'tap';
import fc from 'fast-check';
import ICAL from 'ical.js';
import { embargoCalendar, escapeText, foldLine, icsDateTime } from '../../src/compose/ical.js';
import { calendarChange, calendarState } from '../../src/compose/calendar-event.js';
import { mergeInto } from '../../src/commands/merge.js';
import type { CaseRecord } from '../../src/cases/record.js';

t.test('folding: at most 75 octets per line, never inside a UTF-8 character, unfolds to the original', async (t) => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 400 }), (s) => {
      const line = `DESCRIPTION:${s.replace(/[\r\n]/g, '')}`;
      const folded = foldLine(line);
      const physical = folded.split('\r\n');
      if (!physical.every((l) => Buffer.byteLength(l) <= 75)) return false;
      if (!physical.slice(1).every((l) => l.startsWith(' '))) return false;
      // Each physical line is valid UTF-8 by itself (no character cut in two).
      if (!physical.every((l) => Buffer.from(l, 'utf8').toString('utf8') === l && !l.includes('\uFFFD'))) return line.includes('\uFFFD');
      return folded.replace(/\r\n /g, '') === line;
    }),
  );
  t.equal(foldLine('x'.repeat(75)), 'x'.repeat(75), 'exactly 75 octets: not folded');
  t.equal(foldLine('x'.repeat(76)), `${'x'.repeat(75)}\r\n x`);
  t.equal(foldLine(`${'x'.repeat(74)}é`), `${'x'.repeat(74)}\r\n é`, 'a two-octet character that would pass 75 goes to the next line');
});

t.test('escaping and dates', async (t) => {
  t.equal(escapeText('a, b; c\\d\ne'), 'a\\, b\\; c\\\\d\\ne');
  t.equal(icsDateTime(new Date('2026-12-15T15:00:00.000Z')), '20261215T150000Z');
});

t.test('the VCALENDAR parses back with ical.js, both methods, whatever the names hold', async (t) => {
  fc.assert(
    fc.property(fc.string({ maxLength: 120 }), fc.constantFrom('REQUEST' as const, 'CANCEL' as const), fc.nat({ max: 1000 }), (name, method, sequence) => {
      const ics = embargoCalendar({
        uid: 'SEC-2026-0007@example.org',
        sequence,
        method,
        start: new Date('2026-12-15T15:00:00Z'),
        stamp: new Date('2026-12-01T10:00:00Z'),
        summary: `SEC-2026-0007: embargo ends, ${name}`,
        description: `Case SEC-2026-0007; ${name}\nsecond line`,
        organizer: { name: `Team ${name}`, email: 'security@example.org' },
        attendee: { name, email: 'bob@example.org' },
      });
      if (/[^\r]\n/.test(ics) || !ics.endsWith('\r\n')) return false;
      const cal = new ICAL.Component(ICAL.parse(ics));
      const ev = cal.getFirstSubcomponent('vevent')!;
      return (
        cal.getFirstPropertyValue('method') === method &&
        ev.getFirstPropertyValue('uid') === 'SEC-2026-0007@example.org' &&
        Number(ev.getFirstPropertyValue('sequence')) === sequence &&
        ev.getFirstPropertyValue('status') === (method === 'CANCEL' ? 'CANCELLED' : 'CONFIRMED') &&
        ev.getFirstPropertyValue('description') === `Case SEC-2026-0007; ${name}\nsecond line` &&
        (ev.getFirstPropertyValue('dtstart') as ICAL.Time).toJSDate().toISOString() === '2026-12-15T15:00:00.000Z'
      );
    }),
    { numRuns: 200 },
  );
  t.pass('200 events parsed back');
});

t.test('when an event is requested or cancelled, and its SEQUENCE', async (t) => {
  const ev = (method: string, sequence: number, embargo: string | null) => ({ kind: 'calendar', detail: { method, sequence, embargo } });
  t.same(calendarState([]), { next: 0, last: null });
  const s = calendarState([ev('REQUEST', 0, 'A'), { kind: 'command', detail: {} }, ev('REQUEST', 1, 'B')]);
  t.same(s, { next: 2, last: { method: 'REQUEST', sequence: 1, embargo: 'B', published: false } }, 'the next change gets SEQUENCE 2');
  t.equal(calendarChange({ state: 'accepted', embargo: 'B' }, s.last), null, 'same date: nothing');
  t.equal(calendarChange({ state: 'accepted', embargo: 'C' }, s.last), 'REQUEST', 'moved');
  t.equal(calendarChange({ state: 'accepted', embargo: null }, s.last), 'CANCEL', 'lifted');
  t.equal(calendarChange({ state: 'published', embargo: 'B' }, s.last), 'CANCEL', 'disclosed');
  t.equal(calendarChange({ state: 'duplicate', embargo: 'B' }, s.last), 'CANCEL', 'merged');
  t.equal(calendarChange({ state: 'accepted', embargo: 'A' }, null), 'REQUEST', 'first date');
  t.equal(calendarChange({ state: 'accepted', embargo: null }, null), null, 'no date, no event');
  t.equal(calendarChange({ state: 'published', embargo: 'A' }, null), null, 'nothing to cancel');
  const cancelled = calendarState([ev('REQUEST', 0, 'A'), ev('CANCEL', 1, 'A')]).last;
  t.equal(calendarChange({ state: 'published', embargo: 'A' }, cancelled), null, 'cancelled once');
  t.equal(calendarChange({ state: 'accepted', embargo: 'A' }, cancelled), 'REQUEST', 'set again after a cancel (reopened)');
});

const record = (id: string, over: Partial<CaseRecord> = {}): CaseRecord => ({
  id,
  state: 'accepted',
  class: null,
  severity: null,
  title: 't',
  createdAt: '2026-01-01T00:00:00Z',
  embargo: null,
  embargoOverride: null,
  leakedAt: null,
  mergedInto: null,
  cves: [],
  projects: {},
  members: [{ email: 'alice@example.org', name: 'Alice', role: 'coordinator', projectId: null, fingerprint: 'A'.repeat(40), pinned: true }],
  credits: [],
  stakeholders: [],
  advisory: null,
  newAdvisoryYaml: null,
  newPatches: [],
  ...over,
});

t.test('X-MERGE carries the duplicate\'s reporters and credits into the target, nothing twice', async (t) => {
  const rita = { email: 'rita@r.example', name: 'Rita R', role: 'reporter' as const, projectId: null, fingerprint: 'B'.repeat(40), pinned: true };
  const ron = { email: 'ron@r.example', name: 'Ron R', role: 'reporter' as const, projectId: null, fingerprint: 'C'.repeat(40), pinned: false };
  const anon = { email: 'anon@r.example', name: 'anon@r.example', role: 'reporter' as const, projectId: null, fingerprint: null, pinned: false };
  const target = record('SEC-2026-0001', { members: [...record('x').members, rita] });
  const dup = record('SEC-2026-0002', { members: [...record('x').members, ron, rita, anon], credits: [{ email: 'rita@r.example', text: 'Rita R from Labs', type: 'REPORTER' }] });
  const r = mergeInto(target, dup);
  t.same(r.added.map((m) => [m.email, m.fingerprint, m.pinned]), [
    ['ron@r.example', 'C'.repeat(40), false],
    ['anon@r.example', null, false],
  ], 'new reporters with their keys, pinned as they were; a member already there is kept as is');
  t.same(r.credited, [
    { email: 'rita@r.example', text: 'Rita R from Labs', type: 'REPORTER' },
    { email: 'ron@r.example', text: 'Ron R', type: 'REPORTER' },
  ], 'the duplicate\'s credits, and its uncredited reporter under their name; never an address as a name');
  t.equal(target.members.length, 2, 'the target record given is not changed');
  t.same(mergeInto(r.target, dup).added, [], 'merging again adds nobody');
  t.same(mergeInto(r.target, dup).credited, [], 'nor a credit');
});
