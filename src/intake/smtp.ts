import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import { promises as dns } from 'node:dns';
import type { AddressInfo } from 'node:net';
import { iso } from '../clock.js';
import type { Vmtd } from '../context.js';
import { dataFiles } from '../store/layout.js';
import { parseRecipient } from '../mail/addresses.js';
import { spoolBacklog } from '../store/spool.js';
import { SpoolBatch } from '../store/spool-batch.js';
import { SpoolReceiver } from '../store/spool-receiver.js';
import { counters } from '../counters.js';

/**
 * smtp-server options that keep the greeting immediate: no reverse DNS lookup of the client before
 * the 220 (up to 1.5 s with a slow resolver; the MTA in front has looked the client up already,
 * and vmtd decides nothing by a client's host name).
 */
export const greetingOptions = { disableReverseLookup: true } as const;

/** A connection of smtp-server (its class is not exported from the package's main entry). */
type Connection = SMTPServer['connections'] extends Set<infer C> ? C : never;

/** How smtp-server's connection start schedules its greeting (100 ms later). */
const PAUSED_GREETING = 'setTimeout(() => this.connectionReady(), 100)';

/** smtp-server's connection start without the pause (see greetAtOnce). */
function initAtOnce(this: Connection): void {
  this._setListeners(() => {
    const { maxClients } = this._server.options;
    if (maxClients && this._server.connections.size > maxClients) return this.send(421, `${this.name} Too many connected clients, try again in a moment`, false);
    setImmediate(() => this.connectionReady());
  });
}

/**
 * smtp-server holds every greeting for 100 ms "for detecting early talkers" (a pregreet spam test,
 * as Postfix's postscreen makes): that pause was the ~100 ms before the 220 on every connection
 * here (issue 16 took it for the reverse lookup, which comes after it). vmtd takes its mail from
 * the team's MTA, which makes such tests; the connections of `server` start as smtp-server starts
 * them (the same listeners, the same client limit, then connectionReady), only without the pause.
 * A client that talks before the 220 is still refused ("You talk too soon"). smtp-server adds each
 * new connection to `server.connections` just before starting it: that is where the start is
 * swapped, per connection, for this server only. When smtp-server's start is not the one this was
 * written against, nothing is swapped and `unknown` is called once (the greeting test then fails,
 * rather than the pause come back unseen).
 */
export function greetAtOnce(server: SMTPServer, unknown: () => void = () => {}): void {
  let known: boolean | undefined;
  const connections = server.connections;
  const add = connections.add.bind(connections);
  connections.add = (c: Connection) => {
    if (known === undefined) {
      known = String((Object.getPrototypeOf(c) as { init?: unknown }).init).includes(PAUSED_GREETING);
      if (!known) unknown();
    }
    if (known) c.init = initAtOnce;
    return add(c);
  };
}

/**
 * The client's host name, looked up after the greeting and only logged (debug level): nothing
 * waits for it. Bounded by `timeoutMs`; a failure is logged as such.
 */
export function logClientHostname(log: Vmtd['log'], address: string | undefined, session: string, timeoutMs = 1500): void {
  if (!address || !log.isLevelEnabled('debug')) return;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), timeoutMs);
    timer.unref();
  });
  Promise.race([dns.reverse(address), timeout]).then(
    (names) => log.debug({ session, address, hostname: names[0] ?? null }, 'smtp client host name'),
    (err: unknown) => log.debug({ session, address, hostname: null, err: (err as Error).message }, 'smtp client host name not found'),
  ).finally(() => clearTimeout(timer));
}

/** An SMTP reply as smtp-server expects it: an Error carrying the code. */
function reply(code: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode: code });
}

/**
 * A refusal: logged for the mail admin (code, client IP, session, envelope sender and the reason
 * as sent, which names at most an envelope address; never message content), counted by code.
 */
function refusal(log: Vmtd['log'], session: SMTPServerSession, code: number, message: string): Error {
  counters.smtpRejects.inc({ code: String(code) });
  log.warn({ code, client: session.remoteAddress, session: session.id, from: session.envelope?.mailFrom ? session.envelope.mailFrom.address : undefined, reason: message }, 'smtp refused');
  return reply(code, message);
}

export interface SmtpIntake {
  port: number;
  /** Stops accepting (new connections get 421), lets the transaction in hand finish, then resolves. */
  close(): Promise<void>;
}

/**
 * The SMTP intake: accepts only the team's addresses (550 at RCPT for any other: never a relay),
 * refuses oversized mail with 552, and answers 250 only after the raw message is committed to the
 * spool. A spool that cannot write (disk full, locked) answers 452/451 so the sender retries, and
 * so does a spool whose backlog has reached smtp.maxBacklog.
 */
export async function startSmtpIntake(ctx: Pick<Vmtd, 'config' | 'db' | 'sealer' | 'clock' | 'log'>, onSpooled: (id: number) => void): Promise<SmtpIntake> {
  const { smtp, instance } = ctx.config;
  let closing = false;
  const batch = new SpoolBatch(ctx.db);
  const server = new SMTPServer({
    name: instance.domain,
    banner: 'vmtd',
    size: smtp.maxMessageBytes,
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    hideSTARTTLS: true,
    maxClients: smtp.maxClients,
    maxRecipients: 50,
    socketTimeout: 120_000,
    closeTimeout: 30_000,
    logger: false,
    ...greetingOptions,
    onConnect(session, callback) {
      if (closing) return callback(refusal(ctx.log, session, 421, 'vmtd is shutting down, try again later'));
      callback();
      logClientHostname(ctx.log, session.remoteAddress, session.id);
    },
    onMailFrom(_address, session, callback) {
      // Backpressure: when processing falls behind, senders' MTAs queue and retry instead of
      // the spool growing without bound (latency and disk stay bounded).
      if (spoolBacklog(ctx.db) >= smtp.maxBacklog) return callback(refusal(ctx.log, session, 451, '4.3.2 too much mail waiting to be processed, try again later'));
      callback();
    },
    onRcptTo(address, session, callback) {
      if (!parseRecipient(instance, address.address)) return callback(refusal(ctx.log, session, 550, `5.1.1 <${address.address}>: no such recipient here (relay denied)`));
      callback();
    },
    onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback) {
      // Sealed chunk by chunk as it arrives; a large message goes to its own file as it arrives.
      const received = new SpoolReceiver(ctx.sealer, dataFiles(instance.dataDir).spool);
      stream.on('data', (chunk: Buffer) => {
        if (received.size + chunk.length <= smtp.maxMessageBytes) received.write(chunk);
        else received.size += chunk.length;
      });
      stream.on('error', (err: Error) => {
        void received.abort();
        callback(refusal(ctx.log, session, 451, `4.3.0 error reading the message: ${err.message}`));
      });
      stream.on('end', () => void commit());
      const commit = async (): Promise<void> => {
        if (stream.sizeExceeded || received.size > smtp.maxMessageBytes) {
          await received.abort();
          return callback(refusal(ctx.log, session, 552, `5.3.4 message exceeds the maximum size of ${smtp.maxMessageBytes} bytes`));
        }
        if (closing) {
          await received.abort();
          return callback(refusal(ctx.log, session, 421, '4.3.2 shutting down, message not accepted; try again later'));
        }
        try {
          const sealed = await received.finish();
          const env = session.envelope;
          const envelope = { mailFrom: env.mailFrom ? env.mailFrom.address : '', rcptTo: env.rcptTo.map((r) => r.address), via: 'smtp' as const };
          const id = await batch.commit(sealed, received.size, envelope, iso(ctx.clock()));
          callback(null, `2.0.0 queued as ${id}`);
          counters.received.inc({ via: 'smtp' });
          onSpooled(id);
        } catch (err) {
          await received.abort();
          const code = (err as { code?: string }).code ?? '';
          ctx.log.error({ err: code || (err as Error).message, client: session.remoteAddress, session: session.id }, 'spool write failed');
          if (code === 'SQLITE_FULL' || code === 'ENOSPC') return callback(refusal(ctx.log, session, 452, '4.3.1 insufficient system storage, try again later'));
          callback(refusal(ctx.log, session, 451, '4.3.0 temporary local problem, try again later'));
        }
      };
    },
  });
  // A failure to bind is the caller's to report (one line naming the address); errors after it are logged.
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(smtp.port, smtp.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  greetAtOnce(server, () => ctx.log.warn('smtp-server changed how it starts a connection: greetings keep its 100 ms pause'));
  server.on('error', (err) => ctx.log.error({ err: err.message }, 'smtp server error'));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        closing = true;
        server.close(() => resolve());
      }),
  };
}
