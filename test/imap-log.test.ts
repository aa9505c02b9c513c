// Against a real Dovecot: a refused IMAP login is logged with the server's own reason, the
// metrics show which mailbox is connected, and a password read from a passFile logs in.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../src/config/load.js';
import { startDaemon } from '../src/daemon.js';
import { createLogger } from '../src/log.js';
import { eventually, freePort } from './helpers/child.js';
import { hasDovecot, startDovecot } from './helpers/dovecot.js';
import { testConfigYaml } from './helpers/vmtd.js';

t.test('IMAP: a refused login logged with the server reason; connected mailboxes in the metrics; passFile', { skip: hasDovecot ? false : 'SKIPPED: dovecot is not installed (or not root)' }, async (t) => {
  const port = await freePort();
  const dovecot = startDovecot(port);
  const dir = mkdtempSync(join(tmpdir(), 'vmtd-imap-log-'));
  t.teardown(() => {
    dovecot.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  writeFileSync(join(dir, 'imap.pass'), `${dovecot.pass}\n`);
  const box = (user: string): string => `host: 127.0.0.1, port: ${port}, secure: false, user: ${user}, mailbox: INBOX`;
  const file = join(dir, 'vmtd.yaml');
  writeFileSync(
    file,
    testConfigYaml(dir, `metrics: { enabled: true, port: 0 }\nimap:\n  - { ${box(dovecot.user)}, passFile: imap.pass }\n  - { ${box('mallory')}, pass: wrong-password }`).replace(/^log: .*$/m, 'log: { level: info }'),
  );
  const config = parseConfig(readFileSync(file, 'utf8'), file);
  t.equal(config.imap[0]!.pass, dovecot.pass, 'the password came from the file');
  const lines: Array<Record<string, unknown>> = [];
  const daemon = await startDaemon(config, () => new Date(), createLogger('info', { write: (s: string) => void lines.push(...s.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>)) }));
  t.teardown(() => daemon.stop());

  const refused = await eventually(() => lines.find((l) => l.msg === 'IMAP connect failed'), 15_000);
  t.equal(refused.authenticationFailed, true);
  t.equal(refused.serverResponseCode, 'AUTHENTICATIONFAILED', "the server's response code");
  t.match(refused.serverSaid, /Authentication failed/, "the server's own words");
  t.equal(refused.imap, `mallory@127.0.0.1:${port}/INBOX`);
  t.notMatch(JSON.stringify(lines), /wrong-password/, 'the password is never logged');

  const metrics = async (): Promise<string> => (await fetch(`http://127.0.0.1:${daemon.metricsPort}/metrics`)).text();
  let text = '';
  for (const end = Date.now() + 15_000; Date.now() < end && !/vmtd_imap_connected\{mailbox="sec@[^}]*\} 1/.test(text); await new Promise((r) => setTimeout(r, 200))) text = await metrics();
  t.match(text, new RegExp(`^vmtd_imap_connected\\{mailbox="${dovecot.user}@127\\.0\\.0\\.1:${port}/INBOX"\\} 1$`, 'm'), 'the passFile mailbox is connected');
  t.match(text, new RegExp(`^vmtd_imap_connected\\{mailbox="mallory@127\\.0\\.0\\.1:${port}/INBOX"\\} 0$`, 'm'), 'the refused one is not');
});
