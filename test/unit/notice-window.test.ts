// Issue 18: stakeholder notice windows in business days (noticeBusinessDays), pure (fast-check):
// the due time is never on a weekend, exactly N weekdays lie between it and the embargo, it keeps
// the embargo's time of day, and it never spans more than businessSpanDays(N); config validation.
import t from 'tap';
import fc from 'fast-check';
import { businessSpanDays, noticeDue, noticeWindowText } from '../../src/scheduler/planner.js';
import { parseConfig } from '../../src/config/load.js';

const DAY = 86_400_000;
const weekend = (d: Date): boolean => d.getUTCDay() === 0 || d.getUTCDay() === 6;
/** Weekdays in [from, to), day by day from `from`: the business days the window spans. */
const weekdaysBetween = (from: Date, to: Date): number => {
  let n = 0;
  for (let t = from.getTime(); t < to.getTime(); t += DAY) if (!weekend(new Date(t))) n++;
  return n;
};
const embargoes = fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2040-01-01T00:00:00Z'), noInvalidDate: true });

t.test('the examples', async (t) => {
  // Tuesday 2027-01-12 15:00: Monday, Friday, Thursday.
  t.same(noticeDue(new Date('2027-01-12T15:00:00Z'), { noticeDays: 0, noticeBusinessDays: 3 }), new Date('2027-01-07T15:00:00Z'));
  t.same(noticeDue(new Date('2027-01-11T09:00:00Z'), { noticeDays: 0, noticeBusinessDays: 1 }), new Date('2027-01-08T09:00:00Z'), 'Monday, 1 business day: the Friday before');
  t.same(noticeDue(new Date('2027-01-16T09:00:00Z'), { noticeDays: 0, noticeBusinessDays: 1 }), new Date('2027-01-15T09:00:00Z'), 'Saturday, 1 business day: Friday');
  t.same(noticeDue(new Date('2027-01-12T15:00:00Z'), { noticeDays: 7 }), new Date('2027-01-05T15:00:00Z'), 'calendar days as before');
  t.same(noticeDue(new Date('2027-01-12T15:00:00Z'), 7), new Date('2027-01-05T15:00:00Z'), 'a plain number is calendar days');
  t.equal(noticeWindowText({ noticeDays: 0, noticeBusinessDays: 3 }), '3 business days');
  t.equal(noticeWindowText({ noticeDays: 7 }), '7 days');
});

t.test('properties of a business-day window', async () => {
  fc.assert(
    fc.property(embargoes, fc.integer({ min: 1, max: 30 }), (embargo, n) => {
      const due = noticeDue(embargo, { noticeDays: 0, noticeBusinessDays: n });
      if (weekend(due)) return false; // never due on a Saturday or Sunday
      if (weekdaysBetween(due, embargo) !== n) return false; // exactly N business days before
      if ((embargo.getTime() - due.getTime()) % DAY !== 0) return false; // the embargo's time of day
      if (embargo.getTime() - due.getTime() > businessSpanDays(n) * DAY) return false; // within the span maxDays is checked against
      // one more business day is strictly earlier (monotone)
      return noticeDue(embargo, { noticeDays: 0, noticeBusinessDays: n + 1 }) < due;
    }),
  );
});

t.test('config: noticeDays or noticeBusinessDays, not both; the span fits maxDays', async (t) => {
  const cfg = (s: string): string =>
    `instance: { name: T, domain: example.org, caseIdPrefix: SEC, dataDir: /tmp/x, publicDir: /tmp/y }\nsmtp: { host: 127.0.0.1, port: 0 }\ndelivery: { transport: maildir, maildir: /tmp/z }\ncoordinators: [{ name: A, email: a@example.org }]\nstakeholders:\n  - { id: s, name: S, email: s@example.org, ${s} }\n`;
  const load = (s: string) => parseConfig(cfg(s), '/tmp/vmtd.yaml');
  t.match(load('noticeBusinessDays: 3').stakeholders[0], { noticeBusinessDays: 3 });
  t.match(load('maxDays: 14').stakeholders[0], { noticeDays: 7 }, 'neither: 7 calendar days');
  t.equal(load('maxDays: 14').stakeholders[0]!.noticeBusinessDays, undefined);
  t.throws(() => load('noticeDays: 5, noticeBusinessDays: 3'), /give noticeDays or noticeBusinessDays, not both/);
  t.throws(() => load('noticeBusinessDays: 10, maxDays: 12'), /noticeBusinessDays: 10 business days can span 14 days, more than maxDays \(12\)/);
  t.throws(() => load('noticeBusinessDays: 0'), /noticeBusinessDays/);
});
