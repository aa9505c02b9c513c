// A real SMTP server on loopback standing in for the smart host; its answers are scripted per recipient.
import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';

export interface Received {
  from: string;
  to: string[];
  raw: Buffer;
}

export interface SmartHost {
  port: number;
  received: Received[];
  /** Decides the answer to a DATA for these recipients: 250, or a 4xx/5xx code. */
  answer: (to: string[]) => number;
  close(): Promise<void>;
}

export async function startSmartHost(port = 0): Promise<SmartHost> {
  const host: SmartHost = {
    port: 0,
    received: [],
    answer: () => 250,
    close: async () => {},
  };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const to = session.envelope.rcptTo.map((r) => r.address);
        const code = host.answer(to);
        if (code !== 250) return callback(Object.assign(new Error(code >= 500 ? 'mailbox unavailable' : 'try again later'), { responseCode: code }));
        host.received.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to, raw: Buffer.concat(chunks) });
        callback();
      });
    },
  });
  await new Promise<void>((ok) => server.listen(port, '127.0.0.1', ok));
  host.port = (server.server.address() as AddressInfo).port;
  host.close = () => new Promise<void>((ok) => server.close(() => ok()));
  return host;
}
