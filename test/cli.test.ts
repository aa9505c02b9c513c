// The command line as an admin uses it: exit codes (sysexits), JSON output, offline rendering.
import t from 'tap';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { childConfig, freePort, repoRoot, vmtd } from './helpers/child.js';
import { Gpg, pubKeyFile } from './helpers/gpg.js';
import { plainMail } from './helpers/mails.js';

let dir: string;
let file: string;
t.before(async () => {
  ({ dir, file } = childConfig(await freePort()));
});
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test('init is idempotent and prints the team fingerprint', (t) => {
  const first = vmtd(['init', '--config', file]);
  t.equal(first.code, 0, first.stderr);
  const fpr = /created team key ([0-9A-F]{40})/.exec(first.stdout)?.[1];
  t.ok(fpr);
  const again = vmtd(['init', '--config', file]);
  t.equal(again.code, 0);
  t.match(again.stdout, `found team key ${fpr}`);
  const team = vmtd(['keys', 'team', '--config', file]);
  const g = new Gpg('alice');
  g.importKey(team.stdout);
  t.equal(g.fingerprint('security@example.org'), fpr, 'keys team prints a key gpg imports');
  g.dispose();
  t.end();
});

t.test('ingest spools a message; tick processes it; case list/show print the JSON contract', (t) => {
  const mail = join(dir, 'report.eml');
  writeFileSync(mail, plainMail({ from: 'anon@nokey.example', to: 'security@example.org', subject: 'via ingest' }, 'body'));
  const ing = vmtd(['ingest', mail, '--sender', 'anon@nokey.example', '--config', file]);
  t.equal(ing.code, 0, ing.stderr);
  t.match(ing.stdout, /^queued as \d+/);
  t.equal(vmtd(['ingest', join(dir, 'missing.eml'), '--config', file]).code, 66, 'EX_NOINPUT for a missing file');
  t.equal(vmtd(['ingest', mail, '--recipient', 'someone@elsewhere.example', '--config', file]).code, 67, 'EX_NOUSER for a foreign recipient');
  const tick = vmtd(['tick', '--now', new Date().toISOString(), '--config', file]);
  t.equal(tick.code, 0, tick.stderr);
  const list = JSON.parse(vmtd(['case', 'list', '--json', '--config', file]).stdout) as Array<Record<string, unknown>>;
  t.equal(list.length, 1);
  const c = list[0]!;
  for (const k of ['id', 'state', 'class', 'severity', 'title', 'createdAt', 'embargo', 'cves', 'members', 'projects', 'stakeholders', 'advisory']) t.ok(k in c, `list has ${k}`);
  t.notOk('messages' in c, 'list objects carry no messages');
  const show = JSON.parse(vmtd(['case', 'show', String(c.id), '--json', '--config', file]).stdout) as { messages: Array<Record<string, unknown>> };
  t.match(show.messages, [{ kind: 'report', encrypted: false, signature: 'unsigned', from: 'anon@nokey.example' }]);
  t.equal(vmtd(['case', 'show', 'SEC-1999-0001', '--config', file]).code, 66);
  t.match(vmtd(['case', 'list', '--config', file]).stdout, /SEC-\d{4}-0001\s+new/, 'human table');
  t.end();
});

t.test('a large message through ingest is sealed into a spool file of its own and becomes a case', (t) => {
  const mail = join(dir, 'large.eml');
  writeFileSync(mail, plainMail({ from: 'anon@nokey.example', to: 'security@example.org', subject: 'large via ingest' }, `INGEST-MARKER\n${'w'.repeat(2_000_000)}`));
  const ing = vmtd(['ingest', mail, '--sender', 'anon@nokey.example', '--config', file]);
  t.equal(ing.code, 0, ing.stderr);
  const files = readdirSync(join(dir, 'data', 'spool'));
  t.equal(files.length, 1, 'one spool file');
  t.notOk(readFileSync(join(dir, 'data', 'spool', files[0]!)).includes('INGEST-MARKER'), 'sealed');
  t.equal(vmtd(['tick', '--now', new Date().toISOString(), '--config', file]).code, 0);
  const list = JSON.parse(vmtd(['case', 'list', '--json', '--config', file]).stdout) as Array<{ title: string }>;
  t.ok(list.some((c) => c.title === 'large via ingest'), 'the case is opened');
  t.end();
});

t.test('keys import and list', (t) => {
  const r = vmtd(['keys', 'import', pubKeyFile('carol'), '--config', file]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /imported [0-9A-F]{40} carol@libfoo\.example/);
  t.match(vmtd(['keys', 'list', '--config', file]).stdout, /carol@libfoo\.example\s+\(usable\)/);
  const bad = join(dir, 'bad.asc');
  writeFileSync(bad, 'not a key');
  t.equal(vmtd(['keys', 'import', bad, '--config', file]).code, 65);
  t.end();
});

t.test('advisory render works offline and reports bad files precisely', (t) => {
  const ok = vmtd(['advisory', 'render', resolve(repoRoot, 'templates/advisory/example.yaml'), '--format', 'osv']);
  t.equal(ok.code, 0, ok.stderr);
  t.match(JSON.parse(ok.stdout), { id: 'x_OSSA-2026-001', aliases: ['CVE-2026-2088'] });
  const tmp = mkdtempSync(join(tmpdir(), 'vmtd-adv-'));
  const bad = join(tmp, 'bad.yaml');
  writeFileSync(bad, 'id: X-1\nclass: A\ndate: 2026-01-01\ntitle: t\ndescription: d\nvulnerabilities:\n  - cve-id: CVE-1\n');
  const r = vmtd(['advisory', 'render', bad, '--format', 'rst']);
  t.equal(r.code, 65);
  t.match(r.stderr, /bad\.yaml:7: vulnerabilities\[0\]\.cve-id/);
  rmSync(tmp, { recursive: true, force: true });
  t.end();
});

t.test('a bad configuration exits 78 naming the key', (t) => {
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'instance:\n  domain: example.org\nsmtp:\n  port: seventy\n');
  const r = vmtd(['case', 'list', '--config', bad]);
  t.equal(r.code, 78);
  t.match(r.stderr, /smtp\.port \(line 4\): must be integer/);
  t.equal(vmtd(['frobnicate']).code, 64, 'unknown command: EX_USAGE');
  t.end();
});
