// Issue 7: Postfix as the MX in front of vmtd, configured as the README says (transport map to
// vmtd on loopback). A real Postfix receives the mail from "the Internet" and relays it to vmtd.
import t from 'tap';
import nodemailer from 'nodemailer';
import { eventually, freePort } from './helpers/child.js';
import { pgpMime, plainMail, textPart } from './helpers/mails.js';
import { hasPostfix, startPostfix, type Postfix } from './helpers/postfix.js';
import { startSmartHost, type SmartHost } from './helpers/smarthost.js';
import { startTestVmtd, type TestVmtd } from './helpers/vmtd.js';
import { caseList, caseView } from '../src/store/case-view.js';

const SECRET = 'postfix-relayed-overflow-QUUX-1234';

t.test('Postfix in front (README setup) relays reports to vmtd; unknown addresses are refused', { skip: hasPostfix ? false : 'SKIPPED: postfix is not installed (or not root)' }, async (t) => {
  const v: TestVmtd = await startTestVmtd();
  // Stands in for the reporters' mail servers on the Internet: Postfix's bounces go there.
  const internet: SmartHost = await startSmartHost();
  // eslint-disable-next-line prefer-const -- assigned once Postfix starts, after the teardown that stops it is registered
  let pf: Postfix | undefined;
  t.teardown(async () => {
    pf?.stop();
    await internet.close();
    await v.stop();
  });
  pf = startPostfix({
    port: await freePort(),
    // README, "Postfix in front (MX)", with vmtd's port.
    main: `relay_domains = example.org
recipient_delimiter = +
transport_maps = regexp:/etc/postfix/vmtd-transport
relay_recipient_maps = regexp:/etc/postfix/vmtd-transport
`,
    files: {
      'vmtd-transport': `/^security(-bounces)?(\\+[^@]*)?@example\\.org$/   smtp:[127.0.0.1]:${v.port}
/@reporter\\.example$/   smtp:[127.0.0.1]:${internet.port}
`,
    },
  });
  // A Postfix that accepts the connection but never greets is the failure to expect: say so quickly.
  const mx = nodemailer.createTransport({ host: '127.0.0.1', port: pf.port, secure: false, ignoreTLS: true, greetingTimeout: 10_000 });
  t.teardown(() => mx.close());
  const send = async (raw: Buffer, envelope: { from: string; to: string[] }) => {
    try {
      const info = await mx.sendMail({ envelope, raw });
      return { code: 250, response: info.response };
    } catch (err) {
      const e = err as { responseCode?: number; response?: string; message: string };
      return { code: e.responseCode ?? 0, response: e.response ?? e.message };
    }
  };
  const cases = () => caseList(v.daemon.ctx.db, v.daemon.ctx.sealer);
  const diag = () => ({ maillog: pf!.log() });

  t.test('an encrypted report sent to the MX opens a case whose reporter is the sender', async (t) => {
    const rita = v.gpg('rita');
    const raw = pgpMime(
      { from: 'Rita Reporter <rita@reporter.example>', to: 'security@example.org', subject: 'Overflow via the MX', messageId: '<mx-report-1@reporter.example>' },
      rita.encrypt(textPart(`Project: libfoo\n\nThe parser overflows: ${SECRET}`), [v.daemon.ctx.team.fingerprint]),
    );
    const r = await send(raw, { from: 'rita@reporter.example', to: ['security@example.org'] });
    t.equal(r.code, 250, 'Postfix accepts mail for the intake address', { response: r.response, ...diag() });
    t.match(r.response, /queued as/);
    const c = await eventually(() => cases().find((x) => x.members.some((m) => m.role === 'reporter')), 30_000).catch((e: Error) => {
      t.fail(`no case opened: ${e.message}`, diag());
      throw e;
    });
    t.equal(c.members.find((m) => m.role === 'reporter')!.email, 'rita@reporter.example', 'the reporter is the sender');
    t.same(c.projects, [{ id: 'libfoo', status: 'unknown' }], 'the decrypted report named the project');
    const shown = caseView(v.daemon.ctx.db, v.daemon.ctx.sealer, c.id)!;
    t.match(shown.messages, [{ kind: 'report', encrypted: true, messageId: '<mx-report-1@reporter.example>' }]);
    t.match(pf!.log(), /relay=127\.0\.0\.1\[127\.0\.0\.1\]:\d+.*status=sent \(250 2\.0\.0 queued as \d+\)/, 'Postfix delivered it to vmtd over SMTP');
  });

  t.test('a plain-text report to the MX opens a case too', async (t) => {
    const before = cases().length;
    const raw = plainMail({ from: 'ron@reporter.example', to: 'security@example.org', subject: 'plain report via the MX' }, 'Project: libfoo\n\nsomething is wrong');
    const r = await send(raw, { from: 'ron@reporter.example', to: ['security@example.org'] });
    t.equal(r.code, 250, 'accepted', { response: r.response });
    await eventually(() => (cases().length === before + 1 ? true : undefined), 30_000).catch((e: Error) => {
      t.fail(`no case opened: ${e.message}`, diag());
      throw e;
    });
    const c = cases().find((x) => x.title === 'plain report via the MX');
    t.ok(c, 'the case is there');
    t.equal(c?.members.find((m) => m.role === 'reporter')?.email, 'ron@reporter.example');
  });

  t.test('unknown recipients: refused at the MX, or refused by vmtd and bounced to the sender', async (t) => {
    const before = cases().length;
    const mail = (to: string) => plainMail({ from: 'rita@reporter.example', to, subject: `to ${to}` }, 'hello');

    const unlisted = await send(mail('nobody@example.org'), { from: 'rita@reporter.example', to: ['nobody@example.org'] });
    t.equal(unlisted.code, 550, 'an address outside the map is refused by Postfix at RCPT (no backscatter)', { response: unlisted.response });
    t.match(unlisted.response, /nobody@example\.org/);

    const relay = await send(mail('someone@elsewhere.example'), { from: 'rita@reporter.example', to: ['someone@elsewhere.example'] });
    t.ok(relay.code >= 500 && relay.code < 600, `not an open relay (${relay.code} ${relay.response})`);

    // Matches the map's pattern, but vmtd knows no such case address: vmtd says 550 at RCPT and
    // Postfix returns the mail to its sender.
    const bogus = 'security+no-such-case@example.org';
    t.equal((await send(mail(bogus), { from: 'rita@reporter.example', to: [bogus] })).code, 250, 'Postfix accepts what the pattern allows');
    const dsn = await eventually(() => internet.received.find((m) => m.to.includes('rita@reporter.example')), 30_000).catch((e: Error) => {
      t.fail(`no bounce came back: ${e.message}`, diag());
      throw e;
    });
    t.equal(dsn.from, '', 'a bounce: null envelope sender');
    const text = dsn.raw.toString();
    t.match(text, /multipart\/report; report-type=delivery-status/);
    t.match(text, /Final-Recipient: rfc822; security\+no-such-case@example\.org/);
    t.match(text, /Status: 5\.1\.1/);
    t.match(text, /no such recipient here/, "vmtd's refusal is quoted");
    t.equal(cases().length, before, 'no case opened by any of them');
  });
});

// Issue 17: the README's setup for a domain that has other mailboxes (the coordinators'): Postfix
// keeps delivering them as before (here to a stand-in for the mail store), and only vmtd's
// addresses go to vmtd.
t.test('Postfix in front of a domain with other mailboxes: they still receive mail', { skip: hasPostfix ? false : 'SKIPPED: postfix is not installed (or not root)' }, async (t) => {
  const v: TestVmtd = await startTestVmtd();
  const mailstore: SmartHost = await startSmartHost();
  // eslint-disable-next-line prefer-const -- assigned once Postfix starts, after the teardown that stops it is registered
  let pf: Postfix | undefined;
  t.teardown(async () => {
    pf?.stop();
    await mailstore.close();
    await v.stop();
  });
  pf = startPostfix({
    port: await freePort(),
    // README, "Postfix in front (MX)", first setup; virtual_transport stands for the domain's
    // existing delivery (Dovecot LMTP in the README), here the stand-in mail store.
    main: `virtual_mailbox_domains = example.org
virtual_mailbox_maps = texthash:/etc/postfix/vmailbox, regexp:/etc/postfix/vmtd-transport
virtual_transport = smtp:[127.0.0.1]:${mailstore.port}
transport_maps = regexp:/etc/postfix/vmtd-transport
recipient_delimiter = +
`,
    files: {
      vmailbox: 'alice@example.org   example.org/alice/\nbob@example.org     example.org/bob/\n',
      'vmtd-transport': `/^security(-bounces)?(\\+[^@]*)?@example\\.org$/   smtp:[127.0.0.1]:${v.port}\n`,
    },
  });
  const mx = nodemailer.createTransport({ host: '127.0.0.1', port: pf.port, secure: false, ignoreTLS: true, greetingTimeout: 10_000 });
  t.teardown(() => mx.close());
  const send = async (to: string, subject: string) => {
    try {
      const info = await mx.sendMail({ envelope: { from: 'rita@reporter.example', to: [to] }, raw: plainMail({ from: 'rita@reporter.example', to, subject }, 'Project: libfoo\n\nhello') });
      return { code: 250, response: info.response };
    } catch (err) {
      const e = err as { responseCode?: number; response?: string; message: string };
      return { code: e.responseCode ?? 0, response: e.response ?? e.message };
    }
  };
  const diag = () => ({ maillog: pf!.log() });

  const toAlice = await send('alice@example.org', 'for the coordinator');
  t.equal(toAlice.code, 250, "the coordinator's ordinary mailbox is accepted", { response: toAlice.response, ...diag() });
  const got = await eventually(() => mailstore.received.find((m) => m.to.includes('alice@example.org')), 30_000).catch((e: Error) => {
    t.fail(`alice's mailbox got nothing: ${e.message}`, diag());
    throw e;
  });
  t.match(got.raw.toString(), /Subject: for the coordinator/, 'delivered to her mailbox as before');

  const toVmtd = await send('security@example.org', 'report via the shared MX');
  t.equal(toVmtd.code, 250, 'the intake address is accepted', { response: toVmtd.response });
  await eventually(() => caseList(v.daemon.ctx.db, v.daemon.ctx.sealer).find((c) => c.title === 'report via the shared MX'), 30_000).catch((e: Error) => {
    t.fail(`no case opened: ${e.message}`, diag());
    throw e;
  });
  t.notOk(mailstore.received.some((m) => m.to.includes('security@example.org')), "vmtd's addresses never reach the mail store");

  const nobody = await send('nobody@example.org', 'to nobody');
  t.equal(nobody.code, 550, 'an unknown address of the domain is refused at RCPT (no backscatter)', { response: nobody.response });
});
