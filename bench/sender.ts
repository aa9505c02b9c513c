// The load generator: a child process of a scenario, so the SMTP client's CPU and memory are not
// counted as the daemon's (on this 2-core machine it still competes for the second core).
// Driven over IPC; every time is wall-clock ms (Date.now), comparable with the scenario process.
import { connect } from 'node:net';
import nodemailer, { type Transporter } from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool/index.js';
import { encryptReport, pgpMimeReport, sizedEntity, wall } from './lib.js';

export interface Sent {
  /** Spool row ID from the 250 reply ("queued as N"). */
  id: number;
  /** When the client started the transaction and when it read the 250. */
  t0: number;
  t250: number;
}

export type SenderCommand =
  /**
   * `senders` connections send reports of `entity`, each encrypted anew to `teamKey` (vmtd relays a
   * ciphertext once: a reused one is a replay), for `ms` or `count` reports. `prepare` reports are
   * encrypted before the clock starts, the rest on the fly. `connectEach`: a new SMTP connection per
   * report (t0 is then before the connect, so the greeting counts), else one pooled connection each.
   * `reuse`: one ciphertext for all (only where nothing is processed: intake with the pipeline stopped).
   * `rate`: open loop, reports/s: report i starts at start + i/rate whatever the replies before it,
   * over `senders` pooled connections (a report waits only for a free connection).
   */
  | { type: 'load'; port: number; senders: number; ms: number; entity: string; teamKey: string; tag: string; paceMs?: number; count?: number; prepare?: number; connectEach?: boolean; reuse?: boolean; rate?: number }
  | { type: 'big'; port: number; teamKey: string; bytes: number; smallEntity: string; sideEveryMs: number }
  /** `count` connections one after another: connect → first 220 line, each. */
  | { type: 'greeting'; port: number; count: number }
  | { type: 'go' }
  | { type: 'stop' };

export type SenderReply =
  | { type: 'done'; sent: Sent[]; deferred: number; errors: string[]; cpuMs: number; seconds: number }
  | { type: 'ready'; size: number }
  | { type: 'big-accepted'; big: Sent | null; error?: string }
  | { type: 'big-done'; side: Sent[]; errors: string[] }
  | { type: 'greeting-done'; connectMs: number[]; greetingMs: number[] };

const send = (m: SenderReply): void => void process.send?.(m);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function transport(port: number): Transporter<SMTPPool.SentMessageInfo> {
  return nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, pool: true, maxConnections: 1, maxMessages: Infinity, socketTimeout: 300_000 });
}

/** A transport that opens a new connection for every message (as a relaying MTA often does). */
function transportPerMessage(port: number): Transporter {
  return nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, socketTimeout: 300_000 });
}

/** Reports of one entity, each encrypted anew; `prepare` of them made ahead. */
class Reports {
  private readonly ready: string[] = [];
  private reused: string | undefined;
  constructor(
    private readonly entity: string,
    private readonly teamKey: string,
    private readonly tag: string,
    private readonly reuse = false,
  ) {}
  async prepare(n: number): Promise<void> {
    for (let i = 0; i < n; i++) this.ready.push(await encryptReport(this.entity, this.teamKey));
  }
  async make(i: number): Promise<Buffer> {
    if (this.reuse) return pgpMimeReport((this.reused ??= await encryptReport(this.entity, this.teamKey)), this.tag, i);
    return pgpMimeReport(this.ready.pop() ?? (await encryptReport(this.entity, this.teamKey)), this.tag, i);
  }
}

/** Connect → 'connect' event and connect → the first 220 line, for `count` connections in turn. */
async function greeting(c: Extract<SenderCommand, { type: 'greeting' }>): Promise<void> {
  const connectMs: number[] = [];
  const greetingMs: number[] = [];
  for (let i = 0; i < c.count; i++) {
    await new Promise<void>((resolve, reject) => {
      const t0 = performance.now();
      const s = connect(c.port, '127.0.0.1');
      let text = '';
      let greeted = false;
      s.on('connect', () => connectMs.push(performance.now() - t0));
      s.on('data', (d: Buffer) => {
        if (greeted) return; // the 221 to QUIT
        text += d.toString('latin1');
        if (!text.includes('\r\n')) return;
        greeted = true;
        greetingMs.push(performance.now() - t0);
        if (!text.startsWith('220')) reject(new Error(`greeting: ${text.trim()}`));
        s.end('QUIT\r\n');
      });
      s.on('error', reject);
      s.on('close', () => resolve());
    });
  }
  send({ type: 'greeting-done', connectMs, greetingMs });
}

/** One transaction; the spool ID parsed from the reply. Throws with `responseCode` on refusal. */
async function deliver(tr: Transporter<SMTPPool.SentMessageInfo> | Transporter, raw: Buffer, from: string): Promise<Sent> {
  const t0 = wall();
  const info = await tr.sendMail({ envelope: { from, to: ['security@example.org'] }, raw });
  const t250 = wall();
  const id = Number(/queued as (\d+)/.exec(String(info.response))?.[1] ?? NaN);
  return { id, t0, t250 };
}

/**
 * Open-loop load: report i is handed to the pool of `senders` connections at start + i/rate,
 * whether or not earlier ones were answered, for `ms` (or `count` reports).
 */
async function fixedRate(c: Extract<SenderCommand, { type: 'load' }> & { rate: number }): Promise<void> {
  const sent: Sent[] = [];
  const errors: string[] = [];
  let deferred = 0;
  const reports = new Reports(c.entity, c.teamKey, c.tag, c.reuse);
  await reports.prepare(c.prepare ?? 0);
  const tr = nodemailer.createTransport({ host: '127.0.0.1', port: c.port, secure: false, ignoreTLS: true, pool: true, maxConnections: c.senders, maxMessages: Infinity, socketTimeout: 300_000 });
  const cpu0 = process.cpuUsage();
  const start = wall();
  const total = c.count ?? Math.floor((c.ms / 1000) * c.rate);
  const inFlight: Array<Promise<void>> = [];
  for (let i = 0; i < total; i++) {
    await sleep(Math.max(0, start + (i * 1000) / c.rate - wall()));
    const raw = await reports.make(i);
    inFlight.push(
      deliver(tr, raw, `r${c.tag}${i}@reporter.example`).then(
        (s) => void sent.push(s),
        (err: unknown) => {
          const code = (err as { responseCode?: number }).responseCode;
          if (code === 451 || code === 452) deferred++;
          else errors.push(`${code ?? ''} ${(err as Error).message}`.slice(0, 200));
        },
      ),
    );
  }
  await Promise.all(inFlight);
  tr.close();
  const cpu = process.cpuUsage(cpu0);
  send({ type: 'done', sent, deferred, errors, cpuMs: (cpu.user + cpu.system) / 1000, seconds: (wall() - start) / 1000 });
}

async function load(c: Extract<SenderCommand, { type: 'load' }>): Promise<void> {
  if (c.rate !== undefined) return fixedRate({ ...c, rate: c.rate });
  const sent: Sent[] = [];
  const errors: string[] = [];
  let deferred = 0;
  let n = 0;
  const reports = new Reports(c.entity, c.teamKey, c.tag, c.reuse);
  await reports.prepare(c.prepare ?? 0);
  const cpu0 = process.cpuUsage();
  const start = wall();
  const more = (): boolean => (c.count !== undefined ? n < c.count : wall() - start < c.ms);
  await Promise.all(
    Array.from({ length: c.senders }, async () => {
      const tr = c.connectEach ? transportPerMessage(c.port) : transport(c.port);
      while (more()) {
        const i = n++;
        const raw = await reports.make(i);
        const began = wall();
        try {
          sent.push(await deliver(tr, raw, `r${c.tag}${i}@reporter.example`));
        } catch (err) {
          const code = (err as { responseCode?: number }).responseCode;
          if (code === 451 || code === 452) {
            // Backpressure: a real MTA queues the message and retries later; here, after a pause.
            deferred++;
            await sleep(100);
          } else {
            errors.push(`${code ?? ''} ${(err as Error).message}`.slice(0, 200));
            await sleep(100);
          }
        }
        if (c.paceMs) await sleep(Math.max(0, c.paceMs - (wall() - began)));
      }
      tr.close();
    }),
  );
  const cpu = process.cpuUsage(cpu0);
  send({ type: 'done', sent, deferred, errors, cpuMs: (cpu.user + cpu.system) / 1000, seconds: (wall() - start) / 1000 });
}

async function big(c: Extract<SenderCommand, { type: 'big' }>): Promise<void> {
  const raw = pgpMimeReport(await encryptReport(sizedEntity(c.bytes), c.teamKey), 'big', 0);
  const smallReports = new Reports(c.smallEntity, c.teamKey, 'side');
  await smallReports.prepare(400);
  send({ type: 'ready', size: raw.length });
  await new Promise<void>((resolve) => process.once('message', () => resolve())); // 'go'
  let stop = false;
  process.once('message', () => (stop = true)); // 'stop'
  const side: Sent[] = [];
  const errors: string[] = [];
  const small = transport(c.port);
  const sideLoop = (async () => {
    for (let i = 0; !stop; i++) {
      const raw = await smallReports.make(i);
      const began = wall();
      try {
        side.push(await deliver(small, raw, `rside${i}@reporter.example`));
      } catch (err) {
        errors.push(`${(err as { responseCode?: number }).responseCode ?? ''} ${(err as Error).message}`.slice(0, 200));
      }
      await sleep(Math.max(0, c.sideEveryMs - (wall() - began)));
    }
  })();
  await sleep(300); // a few small reports first, then the big one alongside them
  const tr = transport(c.port);
  try {
    send({ type: 'big-accepted', big: await deliver(tr, raw, 'rbig@reporter.example') });
  } catch (err) {
    send({ type: 'big-accepted', big: null, error: (err as Error).message });
  }
  tr.close();
  await sideLoop;
  small.close();
  send({ type: 'big-done', side, errors });
}

// Commands one after another ('load', 'greeting'); 'big' is the last command (it then reads 'go' and 'stop').
const onCommand = (m: SenderCommand): void => {
  if (m.type === 'big') process.off('message', onCommand);
  const run = m.type === 'load' ? load(m) : m.type === 'big' ? big(m) : m.type === 'greeting' ? greeting(m) : Promise.resolve();
  run.then(
    () => (m.type === 'big' ? setTimeout(() => process.exit(0), 50) : undefined),
    (err: unknown) => {
      console.error('sender failed:', err);
      process.exit(1);
    },
  );
};
process.on('message', onCommand);

// The scenario that forked this sender is gone (finished, failed or killed): so is the load.
process.on('disconnect', () => process.exit(0));
