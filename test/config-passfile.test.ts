// Passwords for the smart host and IMAP mailboxes can come from files (systemd's LoadCredential=)
// instead of clear text in the configuration.
import t from 'tap';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, parseConfig } from '../src/config/load.js';

const dir = mkdtempSync(join(tmpdir(), 'vmtd-passfile-'));
const creds = join(dir, 'credentials');
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const previous = process.env.CREDENTIALS_DIRECTORY;
t.teardown(() => {
  if (previous === undefined) delete process.env.CREDENTIALS_DIRECTORY;
  else process.env.CREDENTIALS_DIRECTORY = previous;
});

const yaml = (smtp: string, imap = ''): string => `
instance: { domain: example.org }
delivery: { transport: smtp, smtp: { host: 127.0.0.1, port: 25, user: vmtd, ${smtp} } }
${imap ? `imap: [ { host: imap.example.org, user: security@example.org, ${imap} } ]` : ''}
`;
const problems = (source: string): string[] => {
  try {
    parseConfig(source, join(dir, 'vmtd.yaml'));
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
};

t.test('passFile is read at load: relative to the config file, or under $CREDENTIALS_DIRECTORY', async (t) => {
  writeFileSync(join(dir, 'smtp.pass'), 's3cret-smtp\n');
  const rel = parseConfig(yaml('passFile: smtp.pass'), join(dir, 'vmtd.yaml'));
  t.equal(rel.delivery.smtp.pass, 's3cret-smtp', 'one trailing newline dropped');
  t.equal(rel.delivery.smtp.passFile, join(dir, 'smtp.pass'));

  process.env.CREDENTIALS_DIRECTORY = creds;
  rmSync(creds, { recursive: true, force: true });
  mkdirSync(creds);
  writeFileSync(join(creds, 'smtp-pass'), 'from-systemd');
  writeFileSync(join(creds, 'imap-pass'), 'imap secret\r\n');
  const c = parseConfig(yaml('passFile: $CREDENTIALS_DIRECTORY/smtp-pass', 'passFile: "${CREDENTIALS_DIRECTORY}/imap-pass"'), join(dir, 'vmtd.yaml'));
  t.equal(c.delivery.smtp.pass, 'from-systemd');
  t.equal(c.imap[0]!.pass, 'imap secret');
  t.equal(c.imap[0]!.passFile, join(creds, 'imap-pass'));
});

t.test('a missing or empty file, both keys, no password at all, or no $CREDENTIALS_DIRECTORY: path-precise errors without the secret', async (t) => {
  process.env.CREDENTIALS_DIRECTORY = creds;
  t.match(problems(yaml('passFile: $CREDENTIALS_DIRECTORY/nope')), [/^delivery\.smtp\.passFile: cannot read .*credentials\/nope: ENOENT$/]);
  writeFileSync(join(dir, 'empty'), '\n');
  t.match(problems(yaml('passFile: empty')), [/^delivery\.smtp\.passFile: .*empty is empty$/]);
  t.match(problems(yaml('pass: clear, passFile: smtp.pass')), [/^delivery\.smtp: give pass or passFile, not both$/]);
  t.match(problems(yaml('pass: x', 'mailbox: INBOX')), [/^imap\[0\]\.pass: is required \(or passFile/]);
  delete process.env.CREDENTIALS_DIRECTORY;
  const p = problems(yaml('passFile: $CREDENTIALS_DIRECTORY/smtp-pass'));
  t.match(p, [/\$CREDENTIALS_DIRECTORY, which is not set \(systemd sets it for a unit with LoadCredential=/]);
  t.notMatch(p.join('\n'), /s3cret|from-systemd/);
});
