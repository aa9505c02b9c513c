// The operator's console (issue 17): vmtd keys list --json, keys show and keys remove.
import t from 'tap';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { childConfig, freePort, vmtd } from './helpers/child.js';
import { pubKeyFile } from './helpers/gpg.js';
import { plainMail } from './helpers/mails.js';

t.test('keys list --json, show and remove', async (t) => {
  const { dir, file } = childConfig(await freePort());
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const cfg = ['--config', file];
  t.equal(vmtd(['init', ...cfg]).code, 0);
  const sam = { person: { email: 'carol@libfoo.example' } };
  const rita = { person: { email: 'rita@reporter.example' } };
  const imported = vmtd(['keys', 'import', pubKeyFile('carol'), pubKeyFile('rita'), ...cfg]);
  t.equal(imported.code, 0, imported.stderr);
  // Rita reports: she becomes the reporter of an open case, pinned to her imported key.
  const report = join(dir, 'report.eml');
  writeFileSync(report, plainMail({ from: rita.person.email, to: 'security@example.org', subject: 'bug' }, 'details'));
  t.equal(vmtd(['ingest', report, '--sender', rita.person.email, ...cfg]).code, 0);
  t.equal(vmtd(['tick', ...cfg]).code, 0);

  const list = vmtd(['keys', 'list', '--json', ...cfg]);
  t.equal(list.code, 0, list.stderr);
  const keys = JSON.parse(list.stdout) as Array<Record<string, unknown>>;
  t.match(keys.find((k) => k.source === 'team'), { emails: ['security@example.org'], expiresAt: null, encryptionProblem: null });
  t.ok(keys.some((k) => k.source === 'config' && (k.emails as string[]).includes('alice@example.org')), 'the configured keys');
  const samFpr = (keys.find((k) => (k.emails as string[]).includes(sam.person.email))!.fingerprint as string);
  const ritaFpr = (keys.find((k) => (k.emails as string[]).includes(rita.person.email))!.fingerprint as string);
  const aliceFpr = (keys.find((k) => (k.emails as string[]).includes('alice@example.org'))!.fingerprint as string);
  const teamFpr = (keys.find((k) => k.source === 'team')!.fingerprint as string);

  const alice = JSON.parse(vmtd(['keys', 'show', aliceFpr, '--json', ...cfg]).stdout) as Record<string, unknown>;
  t.match(alice, { fingerprint: aliceFpr, source: 'config', emails: ['alice@example.org'], encryptionProblem: null, pinnedFor: { configured: [{ role: 'coordinator', email: 'alice@example.org' }] } });
  t.ok('expiresAt' in alice);
  const byMail = JSON.parse(vmtd(['keys', 'show', 'ALICE@example.org', '--json', ...cfg]).stdout) as unknown[];
  t.match(byMail, [{ fingerprint: aliceFpr }], 'by address: every key carrying it');
  const shown = vmtd(['keys', 'show', aliceFpr.toLowerCase(), ...cfg]);
  t.match(shown.stdout, /^source:\s+config$/m);
  t.match(shown.stdout, /^configured: coordinator alice@example\.org$/m);
  t.match(shown.stdout, /^ {2}SEC-\d{4}-\d{4} \(new\) {2}coordinator {2}alice@example\.org$/m, 'the case members it is pinned for');
  const ritaShown = JSON.parse(vmtd(['keys', 'show', ritaFpr, '--json', ...cfg]).stdout) as Record<string, unknown>;
  const pinnedByRita = (ritaShown.pinnedFor as { members: unknown[] }).members;
  t.equal(vmtd(['keys', 'show', 'nobody@nowhere.example', ...cfg]).code, 66);

  // remove: refused for the team key, configured keys and keys open cases' members are pinned to.
  const team = vmtd(['keys', 'remove', teamFpr, ...cfg]);
  t.equal(team.code, 65);
  t.match(team.stderr, /is the team key/);
  const conf = vmtd(['keys', 'remove', aliceFpr, ...cfg]);
  t.equal(conf.code, 65);
  t.match(conf.stderr, /is a configured key \(coordinator alice@example\.org\): remove or replace it in the configuration/);
  t.match(pinnedByRita, [{ caseId: /^SEC-/, role: 'reporter', email: rita.person.email, open: true }], "the reporter is pinned to her imported key");
  const pinned = vmtd(['keys', 'remove', ritaFpr, ...cfg]);
  t.equal(pinned.code, 65);
  t.match(pinned.stderr, /pinned by members of open cases: SEC-\d{4}-\d{4} reporter rita@reporter\.example/);
  const removed = vmtd(['keys', 'remove', samFpr, ...cfg]);
  t.equal(removed.code, 0, removed.stderr);
  t.match(removed.stdout, new RegExp(`removed ${samFpr} \\(import`));
  t.notOk((JSON.parse(vmtd(['keys', 'list', '--json', ...cfg]).stdout) as Array<{ fingerprint: string }>).some((k) => k.fingerprint === samFpr), 'gone');
  t.equal(vmtd(['keys', 'remove', samFpr, ...cfg]).code, 66);
});

