// /healthz's rules over a real (in-memory) database: when the pipeline, the outbox or the
// scheduler counts as stuck, and when a slow but moving queue does not.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { health, schedulerStaleMs, type LoopProbes } from '../src/metrics.js';
import { migrate } from '../src/store/db.js';
import { enqueue, markRetry } from '../src/store/outbox.js';
import { sealerFor } from '../src/store/seal.js';
import { markSpoolDone, spoolMessage } from '../src/store/spool.js';

const MIN = 60_000;
const start = new Date('2026-12-01T10:00:00Z');
const at = (minutes: number): Date => new Date(start.getTime() + minutes * MIN);
const limits = { pipelineStuckMs: 10 * MIN, outboxStuckMs: 10 * MIN, schedulerStaleMs: 15 * MIN };

function setup(): { db: Database.Database; probes: LoopProbes & { progress: number; planner: number } } {
  const db = new Database(':memory:');
  migrate(db);
  const probes = {
    startedAt: start.getTime(),
    progress: 0,
    planner: start.getTime(),
    pipelineProgress() {
      return this.progress;
    },
    schedulerLastRun() {
      return this.planner;
    },
    imap: () => [],
  };
  return { db, probes };
}

t.test('pipeline: stuck only when the oldest message is old and nothing was processed meanwhile', async (t) => {
  const { db, probes } = setup();
  const sealer = sealerFor(randomBytes(32));
  const envelope = { mailFrom: 'r@reporter.example', rcptTo: ['security@example.org'], via: 'smtp' as const };
  const first = spoolMessage(db, sealer, Buffer.from('Subject: x\r\n\r\nx'), envelope, start.toISOString());
  spoolMessage(db, sealer, Buffer.from('Subject: y\r\n\r\ny'), envelope, at(1).toISOString());
  probes.planner = at(11).getTime();
  t.same(health({ db }, probes, at(9), limits), { ok: true, reasons: [] }, 'young backlog');
  probes.progress = at(8).getTime();
  t.ok(health({ db }, probes, at(11), limits).ok, 'old backlog, but a message was finished 3 minutes ago');
  const stuck = health({ db }, probes, at(19), limits);
  t.notOk(stuck.ok);
  t.match(stuck.reasons, [/^pipeline stuck: 2 message\(s\) pending, the oldest received 2026-12-01T10:00:00\.000Z, none processed for 660 s$/]);
  markSpoolDone(db, first, 'report', null, at(19).toISOString());
  markSpoolDone(db, first + 1, 'report', null, at(19).toISOString());
  t.ok(health({ db }, probes, at(19), limits).ok, 'an empty spool is never stuck');
});

t.test('outbox: stuck when a queued mail has been due too long; deferred mail waiting for its time is not', async (t) => {
  const { db, probes } = setup();
  const id = enqueue(db, { caseId: 'SEC-2026-0001', kind: 'relay', messageId: '<m@x>', rcpt: 'alice@example.org', raw: Buffer.from('x') }, start.toISOString());
  probes.planner = at(60).getTime();
  t.ok(health({ db }, probes, at(9), limits).ok, 'due for 9 minutes');
  markRetry(db, id, 'smtp: 451 try again later', at(70).toISOString());
  t.ok(health({ db }, probes, at(60), limits).ok, 'deferred until later: not stuck, however old');
  const stuck = health({ db }, probes, at(81), limits);
  t.match(stuck.reasons, [/^outbox stuck: outbox #\d+ due since 2026-12-01T11:10:00\.000Z \(1 attempt\(s\), last error: smtp: 451 try again later\)$/]);
});

t.test('scheduler: stale after its threshold; the threshold follows schedule.tick', async (t) => {
  const { db, probes } = setup();
  t.ok(health({ db }, probes, at(15), limits).ok);
  t.match(health({ db }, probes, at(16), limits).reasons, [/^scheduler: no planner pass for 960 s \(limit 900 s\)$/]);
  t.equal(schedulerStaleMs('* * * * *', 'UTC'), 15 * MIN, 'every minute: 15 minutes');
  t.equal(schedulerStaleMs('*/10 * * * *', 'UTC'), 30 * MIN, 'every 10 minutes: three intervals');
  t.equal(schedulerStaleMs('0 * * * *', 'UTC'), 180 * MIN, 'hourly: three hours');
});
