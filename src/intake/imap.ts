import { imapSeen, markImapSeen } from '../store/imap-seen.js';
import { ImapFlow } from 'imapflow';
import { iso } from '../clock.js';
import type { ImapMailbox } from '../config/types.js';
import type { Vmtd } from '../context.js';
import { dataFiles } from '../store/layout.js';
import { intakeAddress } from '../mail/addresses.js';
import { readHeaders } from '../mail/headers.js';
import { SerialRunner } from '../serial.js';
import { spoolSealed } from '../store/spool.js';
import { sealForSpool } from '../store/spool-receiver.js';
import { counters } from '../counters.js';

const HANDLED = '$vmtd-spooled';

export interface ImapIntake {
  /** Each mailbox (user@host:port/mailbox) and whether it is connected with the mailbox open. */
  status(): Array<{ account: string; connected: boolean }>;
  stop(): Promise<void>;
}

/**
 * An IMAP failure as a mail admin needs it: the error, and what the server said when it said
 * something (imapflow's responseText and serverResponseCode, e.g. AUTHENTICATIONFAILED), the
 * system error code of a connection failure, and whether the login was refused.
 */
export function imapFailure(err: unknown): Record<string, string | boolean> {
  const e = (err ?? {}) as { message?: string; code?: string; responseText?: string; serverResponseCode?: string; authenticationFailed?: boolean };
  return {
    err: e.message ?? String(err),
    ...(e.code ? { code: e.code } : {}),
    ...(e.serverResponseCode ? { serverResponseCode: e.serverResponseCode } : {}),
    ...(e.responseText ? { serverSaid: e.responseText } : {}),
    ...(e.authenticationFailed ? { authenticationFailed: true } : {}),
  };
}

/**
 * Watches one mailbox: on connect it catches up on every message not yet spooled, then waits
 * with IDLE. Each message is committed to the spool together with its (UIDVALIDITY, UID) before
 * it is flagged, moved or deleted, so it is never spooled twice, across restarts and reconnects,
 * and never lost. Reconnects with exponential backoff (capped at a minute).
 */
function watchMailbox(ctx: Pick<Vmtd, 'config' | 'db' | 'sealer' | 'clock' | 'log'>, box: ImapMailbox, onSpooled: (id: number) => void): ImapIntake {
  const account = `${box.user}@${box.host}:${box.port}/${box.mailbox}`;
  const log = ctx.log.child({ imap: account });
  let client: ImapFlow | undefined;
  let stopped = false;
  let delay = 1000;
  let timer: NodeJS.Timeout | undefined;
  let connected = false;

  const seen = (uidValidity: string, uid: number): boolean => imapSeen(ctx.db, account, uidValidity, uid);

  const catchUp = new SerialRunner(async () => {
    const c = client;
    if (!c || !c.usable || !c.mailbox) return;
    const uidValidity = String(c.mailbox.uidValidity);
    const uids = (await c.search(box.after === 'flag' ? { unKeyword: HANDLED } : { all: true }, { uid: true })) || [];
    for (const uid of uids) {
      if (stopped) return;
      if (!seen(uidValidity, uid)) {
        const msg = await c.fetchOne(String(uid), { source: true }, { uid: true });
        if (!msg || !msg.source) continue;
        // The From stands in for the envelope sender; a header block no parser reads is the
        // pipeline's to quarantine, not a reason to stop fetching.
        const from = await readHeaders(msg.source).then((h) => h.from ?? '', () => '');
        const sealed = await sealForSpool(ctx.sealer, dataFiles(ctx.config.instance.dataDir).spool, msg.source);
        const id = ctx.db.transaction(() => {
          const spoolId = spoolSealed(ctx.db, sealed, msg.source!.length, { mailFrom: from, rcptTo: [intakeAddress(ctx.config.instance)], via: 'imap' }, iso(ctx.clock()));
          markImapSeen(ctx.db, account, uidValidity, uid, spoolId);
          return spoolId;
        })();
        counters.received.inc({ via: 'imap' });
        log.info({ uid, spool: id }, 'spooled from IMAP');
        onSpooled(id);
      }
      // Only once it is durable is the message marked on the server.
      if (box.after === 'flag') await c.messageFlagsAdd(String(uid), [HANDLED, '\\Seen'], { uid: true });
      else if (box.after === 'move') await c.messageMove(String(uid), box.moveTo, { uid: true });
      else await c.messageDelete(String(uid), { uid: true });
    }
  }, (err) => {
    // Logged, and the connection is dropped: the reconnect (with backoff) catches up again.
    log.warn(imapFailure(err), 'IMAP catch-up failed; reconnecting');
    client?.close();
  });

  const connect = async (): Promise<void> => {
    if (stopped) return;
    const c = new ImapFlow({ host: box.host, port: box.port, secure: box.secure, auth: { user: box.user, pass: box.pass }, logger: false, autoIdleDelay: 1000, maxIdleTime: 5 * 60_000 });
    client = c;
    c.on('error', (err: Error) => log.warn(imapFailure(err), 'IMAP error'));
    c.on('close', () => {
      if (client === c) connected = false;
      if (stopped) return;
      log.warn({ retryInMs: delay }, 'IMAP connection closed; reconnecting');
      timer = setTimeout(() => void connect(), delay);
      delay = Math.min(delay * 2, 60_000);
    });
    c.on('exists', () => catchUp.kick());
    try {
      await c.connect();
      if (box.after === 'move') await c.mailboxCreate(box.moveTo).catch(() => undefined);
      await c.mailboxOpen(box.mailbox);
      delay = 1000;
      connected = true;
      log.info('IMAP mailbox open; catching up');
      await catchUp.settle();
    } catch (err) {
      log.warn(imapFailure(err), 'IMAP connect failed');
      c.close();
    }
  };
  void connect();
  return {
    status: () => [{ account, connected }],
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await catchUp.stop();
      await client?.logout().catch(() => client?.close());
    },
  };
}

/** Starts a watcher for every mailbox in `imap:`; stop() logs out of all of them. */
export function startImapIntake(ctx: Pick<Vmtd, 'config' | 'db' | 'sealer' | 'clock' | 'log'>, onSpooled: (id: number) => void): ImapIntake {
  const watchers = ctx.config.imap.map((box) => watchMailbox(ctx, box, onSpooled));
  return { status: () => watchers.flatMap((w) => w.status()), stop: async () => void (await Promise.all(watchers.map((w) => w.stop()))) };
}
