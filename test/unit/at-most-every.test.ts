// The planner kick after processed messages (daemon.ts atMostEvery): a burst of kicks is joined
// into one call at once and one after the interval; no kick is ever left without a call after it.
// The time is a fake one the test moves, so the verdicts do not depend on the machine's load.
import t from 'tap';
import fc from 'fast-check';
import { atMostEvery, type Timers } from '../../src/serial.js';

/** Timers whose clock moves only when the test says; due timers fire in order. */
function fakeTimers(): Timers & { advance(ms: number): void } {
  let now = 0;
  let pending: Array<{ at: number; fire: () => void }> = [];
  return {
    now: () => now,
    setTimeout(fire, ms) {
      const entry = { at: now + ms, fire };
      pending.push(entry);
      return entry;
    },
    clearTimeout(timer) {
      pending = pending.filter((p) => p !== timer);
    },
    advance(ms) {
      const until = now + ms;
      for (;;) {
        const due = pending.filter((p) => p.at <= until).sort((a, b) => a.at - b.at)[0];
        if (!due) break;
        pending = pending.filter((p) => p !== due);
        now = due.at;
        due.fire();
      }
      now = until;
    },
  };
}

t.test('a burst of kicks: one call at once, one more once the interval has passed, none lost', async (t) => {
  const timers = fakeTimers();
  const calls: number[] = [];
  let kicks = 0;
  const planSoon = atMostEvery(50, () => calls.push(kicks), timers);
  for (let i = 0; i < 10; i++) {
    kicks++;
    planSoon.kick();
  }
  t.same(calls, [1], 'the first kick runs at once; the others wait');
  timers.advance(49);
  t.same(calls, [1], 'not before the interval');
  timers.advance(1);
  t.same(calls, [1, 10], 'one more call after the interval, after every kick of the burst');
  timers.advance(70);
  kicks++;
  planSoon.kick();
  t.same(calls, [1, 10, 11], 'a kick after a quiet interval runs at once');
});

t.test('cancel drops a waiting call (the daemon stops)', async (t) => {
  const timers = fakeTimers();
  let calls = 0;
  const planSoon = atMostEvery(30, () => calls++, timers);
  planSoon.kick();
  planSoon.kick();
  planSoon.cancel();
  timers.advance(1000);
  t.equal(calls, 1, 'only the first call ran');
});

t.test('flush runs a waiting call now, once; without one waiting it does nothing', async (t) => {
  const timers = fakeTimers();
  let calls = 0;
  const planSoon = atMostEvery(200, () => calls++, timers);
  planSoon.flush();
  t.equal(calls, 0, 'nothing waiting: no call');
  planSoon.kick();
  planSoon.kick();
  t.equal(calls, 1);
  planSoon.flush();
  t.equal(calls, 2, 'the waiting call ran at once');
  timers.advance(1000);
  t.equal(calls, 2, 'and not again when its timer would have fired');
});

t.test('any kicks at any times: each kick is followed by a call at or after it, and calls are at least the interval apart', async (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 200 }), fc.array(fc.integer({ min: 0, max: 300 }), { maxLength: 60 }), (ms, gaps) => {
      const timers = fakeTimers();
      const callTimes: number[] = [];
      const planSoon = atMostEvery(ms, () => callTimes.push(timers.now()), timers);
      const kickTimes: number[] = [];
      for (const gap of gaps) {
        timers.advance(gap);
        kickTimes.push(timers.now());
        planSoon.kick();
      }
      timers.advance(ms);
      for (const k of kickTimes) if (!callTimes.some((c) => c >= k)) return false;
      for (let i = 1; i < callTimes.length; i++) if (callTimes[i]! - callTimes[i - 1]! < ms) return false;
      return true;
    }),
  );
  t.pass('held for every generated schedule');
});
