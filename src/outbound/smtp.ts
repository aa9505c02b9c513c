import { Readable } from 'node:stream';
import nodemailer from 'nodemailer';
import type { Config } from '../config/types.js';
import type { Transport } from './transport.js';

/**
 * Delivers through an SMTP smart host with nodemailer. A 5xx answer is permanent; 4xx answers
 * and connection errors are temporary (the outbox retries them with backoff).
 */
export function smtpTransport(c: Config['delivery']['smtp']): Transport {
  const transporter = nodemailer.createTransport({
    host: c.host,
    port: c.port,
    secure: c.secure,
    ...(c.user ? { auth: { user: c.user, pass: c.pass ?? '' } } : {}),
    // Several deliveries at a time over a few reused connections, as an MTA would.
    pool: true,
    maxConnections: 4,
    maxMessages: 100,
    connectionTimeout: 30_000,
    greetingTimeout: 30_000,
    socketTimeout: 120_000,
  });
  return {
    async deliver(envelope, pieces) {
      try {
        await transporter.sendMail({ envelope: { from: envelope.from, to: [envelope.to] }, raw: pieces.length === 1 ? pieces[0] : Readable.from(pieces, { objectMode: false }) });
        return { ok: true };
      } catch (err) {
        const e = err as { responseCode?: number; message?: string; code?: string };
        const permanent = typeof e.responseCode === 'number' && e.responseCode >= 500;
        return { ok: false, permanent, error: `smtp: ${e.responseCode ?? e.code ?? ''} ${(e.message ?? '').split('\n')[0]!.slice(0, 200)}`.trim() };
      }
    },
    async close() {
      transporter.close();
    },
  };
}
