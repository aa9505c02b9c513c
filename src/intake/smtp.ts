import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import type { AddressInfo } from 'node:net';
import { iso } from '../clock.js';
import { dataFiles, type Vmtd } from '../context.js';
import { parseRecipient } from '../mail/addresses.js';
import { spoolBacklog, spoolSealed } from '../store/spool.js';
import { SpoolReceiver } from '../store/spool-receiver.js';

/** An SMTP reply as smtp-server expects it: an Error carrying the code. */
function reply(code: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode: code });
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
export async function startSmtpIntake(ctx: Vmtd, onSpooled: (id: number) => void): Promise<SmtpIntake> {
  const { smtp, instance } = ctx.config;
  let closing = false;
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
    onConnect(_session, callback) {
      if (closing) return callback(reply(421, 'vmtd is shutting down, try again later'));
      callback();
    },
    onMailFrom(_address, _session, callback) {
      // Backpressure: when processing falls behind, senders' MTAs queue and retry instead of
      // the spool growing without bound (latency and disk stay bounded).
      if (spoolBacklog(ctx.db) >= smtp.maxBacklog) return callback(reply(451, '4.3.2 too much mail waiting to be processed, try again later'));
      callback();
    },
    onRcptTo(address, _session, callback) {
      if (!parseRecipient(instance, address.address)) return callback(reply(550, `5.1.1 <${address.address}>: no such recipient here (relay denied)`));
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
        callback(reply(451, `4.3.0 error reading the message: ${err.message}`));
      });
      stream.on('end', () => void commit());
      const commit = async (): Promise<void> => {
        if (stream.sizeExceeded || received.size > smtp.maxMessageBytes) {
          await received.abort();
          return callback(reply(552, `5.3.4 message exceeds the maximum size of ${smtp.maxMessageBytes} bytes`));
        }
        if (closing) {
          await received.abort();
          return callback(reply(421, '4.3.2 shutting down, message not accepted; try again later'));
        }
        try {
          const sealed = await received.finish();
          const env = session.envelope;
          const envelope = { mailFrom: env.mailFrom ? env.mailFrom.address : '', rcptTo: env.rcptTo.map((r) => r.address), via: 'smtp' as const };
          const id = spoolSealed(ctx.db, sealed, received.size, envelope, iso(ctx.clock()));
          callback(null, `2.0.0 queued as ${id}`);
          onSpooled(id);
        } catch (err) {
          await received.abort();
          const code = (err as { code?: string }).code ?? '';
          ctx.log.error({ err: code || (err as Error).message }, 'spool write failed');
          if (code === 'SQLITE_FULL' || code === 'ENOSPC') return callback(reply(452, '4.3.1 insufficient system storage, try again later'));
          callback(reply(451, '4.3.0 temporary local problem, try again later'));
        }
      };
    },
  });
  server.on('error', (err) => ctx.log.error({ err: err.message }, 'smtp server error'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(smtp.port, smtp.host, () => resolve());
  });
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
