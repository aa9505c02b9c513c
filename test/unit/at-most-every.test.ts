// The planner kick after processed messages (daemon.ts atMostEvery): a burst of kicks is joined
// into one call at once and one after the interval; no kick is ever left without a call after it.
import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { atMostEvery } from '../../src/serial.js';

t.test('a burst of kicks: one call at once, one more once the interval has passed, none lost', async (t) => {
  const calls: number[] = [];
  let kicks = 0;
  const planSoon = atMostEvery(50, () => calls.push(kicks));
  for (let i = 0; i < 10; i++) {
    kicks++;
    planSoon.kick();
  }
  t.same(calls, [1], 'the first kick runs at once; the others wait');
  await sleep(120);
  t.same(calls, [1, 10], 'one more call after the interval, after every kick of the burst');
  kicks++;
  planSoon.kick();
  t.same(calls, [1, 10, 11], 'a kick after a quiet interval runs at once');
});

t.test('cancel drops a waiting call (the daemon stops)', async (t) => {
  let calls = 0;
  const planSoon = atMostEvery(30, () => calls++);
  planSoon.kick();
  planSoon.kick();
  planSoon.cancel();
  await sleep(80);
  t.equal(calls, 1, 'only the first call ran');
});
