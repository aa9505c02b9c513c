// Metrics, /healthz and the logs of a real daemon, over HTTP and SMTP: true counters that a bounce
// does not take back, gauges read at scrape time, process metrics, a health check that fails when
// the outbox stops moving, and log lines a mail admin can use that carry no content. Then
// /healthz's rules over an in-memory database: when a loop counts as stuck and when it does not.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { parseConfig } from '../src/config/load.js';
import { startDaemon } from '../src/daemon.js';
import { createLogger } from '../src/log.js';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { health, schedulerStaleMs, type LoopProbes } from '../src/metrics.js';
import { migrate } from '../src/store/db.js';
import { enqueue, markRetry } from '../src/store/outbox.js';
import { sealerFor } from '../src/store/seal.js';
import { markSpoolDone, spoolMessage } from '../src/store/spool.js';
import { plainMail } from './helpers/mails.js';
import { startSmartHost } from './helpers/smarthost.js';
import { testConfigYaml } from './helpers/vmtd.js';

const SECRET = 'METRIC-EMBARGO-SECRET';
const dir = mkdtempSync(join(tmpdir(), 'vmtd-metrics-'));
const host = await startSmartHost();
const file = join(dir, 'vmtd.yaml');
writeFileSync(
  file,
  testConfigYaml(dir, 'metrics: { enabled: true, port: 0 }')
    .replace(/^delivery: .*$/m, `delivery: { transport: smtp, smtp: { host: 127.0.0.1, port: ${host.port} } }`)
    .replace(/^log: .*$/m, 'log: { level: info }'),
);
const config = parseConfig(readFileSync(file, 'utf8'), file);
const lines: string[] = [];
const clock = { now: new Date() };
const daemon = await startDaemon(config, () => clock.now, createLogger('info', { write: (s: string) => void lines.push(...s.split('\n').filter(Boolean)) }));
const client = nodemailer.createTransport({ host: '127.0.0.1', port: daemon.smtp.port, secure: false, ignoreTLS: true });
t.teardown(async () => {
  client.close();
  await daemon.stop();
  await host.close();
  rmSync(dir, { recursive: true, force: true });
});

const base = `http://127.0.0.1:${daemon.metricsPort}`;
const send = async (raw: Buffer, envelope: { from: string; to: string[] }): Promise<number> =>
  client.sendMail({ envelope, raw }).then(
    () => 250,
    (err: { responseCode?: number }) => err.responseCode ?? 0,
  );
const settle = async (): Promise<void> => {
  for (let i = 0; i < 3; i++) await daemon.settle();
};
const scrape = async (): Promise<string> => {
  const res = await fetch(`${base}/metrics`);
  if (res.status !== 200) throw new Error(`GET /metrics: ${res.status}`);
  return res.text();
};
/** One sample's value (0 when the series is absent). */
const value = (text: string, series: string): number => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
};
const healthz = async (): Promise<{ status: number; body: { ok: boolean; reasons: string[] } }> => {
  const res = await fetch(`${base}/healthz`);
  return { status: res.status, body: (await res.json()) as { ok: boolean; reasons: string[] } };
};
const report = (from: string): Buffer => plainMail({ from, to: 'security@example.org', subject: `${SECRET} subject` }, `${SECRET} body`);

t.test('a report: counters for received, processed, relayed and delivered; gauges; process metrics; healthy', async (t) => {
  t.equal(await send(report('r1@reporter.example'), { from: 'r1@reporter.example', to: ['security@example.org'] }), 250);
  await settle();
  const text = await scrape();
  t.equal(value(text, 'vmtd_messages_received_total{via="smtp"}'), 1);
  t.equal(value(text, 'vmtd_messages_processed_total{outcome="report"}'), 1);
  t.equal(value(text, 'vmtd_messages_relayed_total'), 1);
  t.equal(value(text, 'vmtd_outbox_delivered_total{kind="relay"}'), 2, 'relayed to the two coordinators');
  t.equal(value(text, 'vmtd_outbox_delivered_total{kind="ack"}'), 1);
  t.equal(value(text, 'vmtd_outbox{state="sent"}'), 3);
  t.equal(value(text, 'vmtd_outbox_depth'), 0);
  t.equal(value(text, 'vmtd_spool_backlog'), 0);
  t.equal(value(text, 'vmtd_cases{state="new"}'), 1);
  t.equal(value(text, 'vmtd_scheduler_last_run_timestamp_seconds'), Math.floor(clock.now.getTime() / 1000), 'the planner ran (on the daemon clock)');
  t.match(text, /^# TYPE vmtd_messages_received_total counter$/m);
  t.match(text, /^process_cpu_user_seconds_total /m, 'process metrics');
  t.match(text, /^nodejs_eventloop_lag_seconds /m, 'event-loop lag');
  t.notMatch(text, new RegExp(SECRET));
  t.same(await healthz(), { status: 200, body: { ok: true, reasons: [] } });
  t.equal((await fetch(`${base}/other`)).status, 404);
});

t.test('a bounce marks the relay failed; the delivered counter stays where it was', async (t) => {
  const relay = host.received.find((m) => m.to.includes('alice@example.org') && /^security-bounces\+/.test(m.from));
  t.ok(relay, "alice's relay went out with a VERP address");
  const dsn = [
    'From: MAILER-DAEMON@mx.example (Mail Delivery System)',
    'To: security-bounces@example.org',
    'Subject: Undelivered Mail Returned to Sender',
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=delivery-status; boundary="B"',
    '',
    '--B',
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; mx.example',
    '',
    'Final-Recipient: rfc822; alice@example.org',
    'Action: failed',
    'Status: 5.1.1',
    '--B--',
    '',
  ].join('\r\n');
  t.equal(await send(Buffer.from(dsn), { from: '', to: [relay!.from] }), 250);
  await settle();
  const text = await scrape();
  t.equal(value(text, 'vmtd_messages_processed_total{outcome="bounce"}'), 1);
  t.equal(value(text, 'vmtd_outbox{state="failed"}'), 1, 'the bounced relay is failed now');
  t.equal(value(text, 'vmtd_outbox_delivered_total{kind="relay"}'), 2, 'the counter did not go down');
});

t.test('an SMTP refusal is counted by code and logged with code, client IP and reason', async (t) => {
  t.equal(await send(report('r2@reporter.example'), { from: 'r2@reporter.example', to: ['someone@elsewhere.example'] }), 550);
  const text = await scrape();
  t.equal(value(text, 'vmtd_smtp_rejects_total{code="550"}'), 1);
  const refused = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'smtp refused');
  t.ok(refused, 'a log line for the refusal');
  t.equal(refused?.code, 550);
  t.equal(refused?.client, '127.0.0.1');
  t.equal(refused?.from, 'r2@reporter.example');
  t.match(String(refused?.reason), /someone@elsewhere\.example.*no such recipient/);
  t.match(String(refused?.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, 'ISO-8601 time');
});

t.test('healthz: 200 while mail is deferred, 503 when due mail waits too long (smart host answers 451, clock moved)', async (t) => {
  // The smart host defers everything (as one that is down for maintenance would, or refused connections do).
  host.answer = () => 451;
  t.equal(await send(report('r3@reporter.example'), { from: 'r3@reporter.example', to: ['security@example.org'] }), 250);
  await settle();
  let text = await scrape();
  t.equal(value(text, 'vmtd_outbox_deferred_total{kind="relay"}'), 2, 'both relays deferred');
  t.equal(value(text, 'vmtd_outbox_depth'), 3);
  t.equal((await healthz()).status, 200, 'deferred mail waiting for its retry time is not stuck');
  clock.now = new Date(clock.now.getTime() + 3600_000);
  const h = await healthz();
  t.equal(h.status, 503);
  t.equal(h.body.ok, false);
  t.match(h.body.reasons.join('\n'), /outbox stuck: outbox #\d+ due since \S+ \(1 attempt\(s\), last error: smtp: 451 /);
  t.match(h.body.reasons.join('\n'), /scheduler: no planner pass for 3600 s/);
  text = await scrape();
  t.equal(value(text, 'vmtd_outbox_oldest_age_seconds'), 3600);
  t.equal(value(text, 'vmtd_outbox_delivered_total{kind="relay"}'), 2, 'still not down');
  const deferred = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'delivery deferred');
  t.ok(deferred.some((l) => l.kind === 'relay' && typeof l.case === 'string' && /^smtp: 451 /.test(String(l.err)) && l.rcpt === 'alice@example.org'), 'deferral logged with case, kind and error');
});

t.test('a 5xx gives the mails up: failed counter and log line with case and kind; then healthz is 200 again', async (t) => {
  host.answer = () => 550;
  await settle(); // the retries are due (clock moved an hour): each is refused for good
  const text = await scrape();
  t.equal(value(text, 'vmtd_outbox_failed_total{kind="relay"}'), 2);
  t.equal(value(text, 'vmtd_outbox_depth'), 0, 'nothing waits any more (the alerts about it failed too)');
  const failed = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'delivery failed');
  t.ok(failed.some((l) => l.kind === 'relay' && typeof l.case === 'string' && /^smtp: 550 /.test(String(l.err))), 'logged with case, kind and the answer');
  t.same(await healthz(), { status: 200, body: { ok: true, reasons: [] } }, 'the outbox moved and the planner ran (settle)');
});

t.test('no log line carries the subject or body of a report', async (t) => {
  t.ok(lines.length > 10, `${lines.length} log lines looked at`);
  t.notOk(lines.some((l) => l.includes(SECRET)), 'the embargoed text is in no log line');
  t.ok(lines.every((l) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test((JSON.parse(l) as { time: string }).time)), 'every line has an ISO-8601 time');
});

// /healthz's rules over a real (in-memory) database.
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

t.test('healthz rules, pipeline: stuck only when the oldest message is old and nothing was processed meanwhile', async (t) => {
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

t.test('healthz rules, outbox: stuck when a queued mail has been due too long; deferred mail waiting for its time is not', async (t) => {
  const { db, probes } = setup();
  const id = enqueue(db, { caseId: 'SEC-2026-0001', kind: 'relay', messageId: '<m@x>', rcpt: 'alice@example.org', raw: Buffer.from('x') }, start.toISOString());
  probes.planner = at(60).getTime();
  t.ok(health({ db }, probes, at(9), limits).ok, 'due for 9 minutes');
  markRetry(db, id, 'smtp: 451 try again later', at(70).toISOString());
  t.ok(health({ db }, probes, at(60), limits).ok, 'deferred until later: not stuck, however old');
  const stuck = health({ db }, probes, at(81), limits);
  t.match(stuck.reasons, [/^outbox stuck: outbox #\d+ due since 2026-12-01T11:10:00\.000Z \(1 attempt\(s\), last error: smtp: 451 try again later\)$/]);
});

t.test('healthz rules, scheduler: stale after its threshold; the threshold follows schedule.tick', async (t) => {
  const { db, probes } = setup();
  t.ok(health({ db }, probes, at(15), limits).ok);
  t.match(health({ db }, probes, at(16), limits).reasons, [/^scheduler: no planner pass for 960 s \(limit 900 s\)$/]);
  t.equal(schedulerStaleMs('* * * * *', 'UTC'), 15 * MIN, 'every minute: 15 minutes');
  t.equal(schedulerStaleMs('*/10 * * * *', 'UTC'), 30 * MIN, 'every 10 minutes: three intervals');
  t.equal(schedulerStaleMs('0 * * * *', 'UTC'), 180 * MIN, 'hourly: three hours');
});
