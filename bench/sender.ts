// The load generator: a child process of a scenario, so the SMTP client's CPU and memory are not
// counted as the daemon's (on this 2-core machine it still competes for the second core).
// Driven over IPC; every time is wall-clock ms (Date.now), comparable with the scenario process.
import { randomBytes } from 'node:crypto';
import nodemailer, { type Transporter } from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool/index.js';
import { encryptReport, pgpMimeReport, reportEntity, wall } from './lib.js';

export interface Sent {
  /** Spool row ID from the 250 reply ("queued as N"). */
  id: number;
  /** When the client started the transaction and when it read the 250. */
  t0: number;
  t250: number;
}

export type SenderCommand =
  | { type: 'load'; port: number; senders: number; ms: number; armored: string; tag: string; paceMs?: number; count?: number }
  | { type: 'big'; port: number; teamKey: string; bytes: number; armoredSmall: string; sideEveryMs: number }
  | { type: 'go' }
  | { type: 'stop' };

export type SenderReply =
  | { type: 'done'; sent: Sent[]; deferred: number; errors: string[]; cpuMs: number; seconds: number }
  | { type: 'ready'; size: number }
  | { type: 'big-accepted'; big: Sent | null; error?: string }
  | { type: 'big-done'; side: Sent[]; errors: string[] };

const send = (m: SenderReply): void => void process.send?.(m);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function transport(port: number): Transporter<SMTPPool.SentMessageInfo> {
  return nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, pool: true, maxConnections: 1, maxMessages: Infinity, socketTimeout: 300_000 });
}

/** One transaction; the spool ID parsed from the reply. Throws with `responseCode` on refusal. */
async function deliver(tr: Transporter<SMTPPool.SentMessageInfo>, raw: Buffer, from: string): Promise<Sent> {
  const t0 = wall();
  const info = await tr.sendMail({ envelope: { from, to: ['security@example.org'] }, raw });
  const t250 = wall();
  const id = Number(/queued as (\d+)/.exec(String(info.response))?.[1] ?? NaN);
  return { id, t0, t250 };
}

async function load(c: Extract<SenderCommand, { type: 'load' }>): Promise<void> {
  const sent: Sent[] = [];
  const errors: string[] = [];
  let deferred = 0;
  let n = 0;
  const cpu0 = process.cpuUsage();
  const start = wall();
  const more = (): boolean => (c.count !== undefined ? n < c.count : wall() - start < c.ms);
  await Promise.all(
    Array.from({ length: c.senders }, async () => {
      const tr = transport(c.port);
      while (more()) {
        const i = n++;
        const began = wall();
        try {
          sent.push(await deliver(tr, pgpMimeReport(c.armored, c.tag, i), `r${c.tag}${i}@reporter.example`));
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

/** A large PGP/MIME report: text plus binary attachments sized so the whole mail is about `bytes`. */
async function bigReport(teamKey: string, bytes: number): Promise<Buffer> {
  // base64 inside, then armor outside: each grows the data by 4/3 plus line ends (~1.39 in all each way).
  const payload = Math.floor(bytes / 1.39 / 1.39);
  const a = randomBytes(Math.floor(payload * 0.7));
  const b = randomBytes(payload - a.length);
  const b64 = (x: Buffer): string => x.toString('base64').replace(/.{76}/g, '$&\r\n');
  const entity =
    'Content-Type: multipart/mixed; boundary="big-b"\r\n\r\n--big-b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n' +
    `${reportEntity(20 * 1024, { project: true }).split('\r\n\r\n').slice(1).join('\r\n\r\n')}\r\n` +
    `--big-b\r\nContent-Type: application/octet-stream; name="core.dump"\r\nContent-Disposition: attachment; filename="core.dump"\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64(a)}\r\n` +
    `--big-b\r\nContent-Type: application/x-pcap; name="trace.pcap"\r\nContent-Disposition: attachment; filename="trace.pcap"\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64(b)}\r\n--big-b--\r\n`;
  return pgpMimeReport(await encryptReport(entity, teamKey), 'big', 0);
}

async function big(c: Extract<SenderCommand, { type: 'big' }>): Promise<void> {
  const raw = await bigReport(c.teamKey, c.bytes);
  send({ type: 'ready', size: raw.length });
  await new Promise<void>((resolve) => process.once('message', () => resolve())); // 'go'
  let stop = false;
  process.once('message', () => (stop = true)); // 'stop'
  const side: Sent[] = [];
  const errors: string[] = [];
  const small = transport(c.port);
  const sideLoop = (async () => {
    for (let i = 0; !stop; i++) {
      const began = wall();
      try {
        side.push(await deliver(small, pgpMimeReport(c.armoredSmall, 'side', i), `rside${i}@reporter.example`));
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

process.once('message', (m: SenderCommand) => {
  const run = m.type === 'load' ? load(m) : m.type === 'big' ? big(m) : Promise.resolve();
  run.then(
    () => setTimeout(() => process.exit(0), 50),
    (err: unknown) => {
      console.error('sender failed:', err);
      process.exit(1);
    },
  );
});

// The scenario that forked this sender is gone (finished, failed or killed): so is the load.
process.on('disconnect', () => process.exit(0));
