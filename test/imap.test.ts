// Hosted-mailbox intake against a real Dovecot: spooled once, marked, caught up after restart, IDLE.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import { eventually, freePort } from './helpers/child.js';
import { hasDovecot, startDovecot } from './helpers/dovecot.js';
import { plainMail } from './helpers/mails.js';
import { startTestVmtd } from './helpers/vmtd.js';
import { caseList } from '../src/store/case-view.js';

t.test('messages in the mailbox become cases once, are flagged, and new ones arrive by IDLE', { skip: hasDovecot ? false : 'SKIPPED: dovecot is not installed (or not root)' }, async (t) => {
  const port = await freePort();
  const dovecot = startDovecot(port);
  const dir = mkdtempSync(join(tmpdir(), 'vmtd-imap-'));
  t.teardown(() => {
    dovecot.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const imap = new ImapFlow({ host: '127.0.0.1', port, secure: false, auth: { user: 'sec', pass: 'pw' }, logger: false });
  await imap.connect();
  const mail = (s: string) => plainMail({ from: 'r@reporter.example', to: 'security@example.org', subject: s }, `body of ${s}`);
  await imap.append('INBOX', mail('first'));
  await imap.append('INBOX', mail('second'));

  const extra = `imap:\n  - { host: 127.0.0.1, port: ${port}, secure: false, user: sec, pass: pw, mailbox: INBOX, after: flag }`;
  let v = await startTestVmtd({ dir, extraConfig: extra });
  const count = () => caseList(v.daemon.ctx.db, v.daemon.ctx.sealer).length;
  await eventually(() => (count() === 2 ? true : undefined), 15_000);
  await v.settle();
  await imap.mailboxOpen('INBOX');
  const flagged = await imap.search({ keyword: '$vmtd-spooled' }, { uid: true });
  t.equal((flagged || []).length, 2, 'both messages flagged on the server after spooling');
  await v.stop();

  v = await startTestVmtd({ dir, extraConfig: extra });
  await new Promise((r) => setTimeout(r, 1500));
  await v.settle();
  t.equal(count(), 2, 'a restart spools nothing twice');
  await imap.append('INBOX', mail('third'));
  await eventually(() => (count() === 3 ? true : undefined), 15_000);
  t.equal(count(), 3, 'a message appended while running arrives (IDLE)');
  t.same(
    caseList(v.daemon.ctx.db, v.daemon.ctx.sealer).map((c) => c.title).sort(),
    ['first', 'second', 'third'],
  );
  // A large message goes to a spool file as SMTP's would; one whose header no parser reads is
  // quarantined by the pipeline and does not stop the fetching of the next one.
  await imap.append('INBOX', plainMail({ from: 'r@reporter.example', to: 'security@example.org', subject: 'large' }, 'L'.repeat(1_500_000)));
  await imap.append('INBOX', Buffer.from(`From: r@reporter.example\r\nTo: security@example.org\r\nSubject: huge header\r\nX-Big: ${'a'.repeat(1024 * 1024)}\r\n\r\nbody\r\n`));
  await imap.append('INBOX', mail('fourth'));
  await eventually(() => (count() === 5 ? true : undefined), 20_000);
  await v.settle();
  const db = v.daemon.ctx.db;
  const large = db.prepare('SELECT raw_file FROM spool WHERE size > 1048576').pluck().all() as Array<string | null>;
  t.ok(large.length === 2 && large.every((f) => f !== null), 'both large messages were spooled to files of their own');
  t.match((db.prepare("SELECT reason FROM spool WHERE state = 'quarantined'").get() as { reason: string } | undefined)?.reason ?? '', /malformed header/, 'the unreadable one is quarantined with its reason');
  await v.stop();
  await imap.logout();
});
