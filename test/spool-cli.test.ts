// The quarantine is visible and workable from the command line: `vmtd spool list|show|release|drop`.
import t from 'tap';
import { readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { childConfig, eventually, exited, freePort, serve, vmtd } from './helpers/child.js';
import { Gpg } from './helpers/gpg.js';
import { pgpMime, plainMail, textPart } from './helpers/mails.js';

const SECRET = 'embargoed-detail-QUUX-1234';

t.test('spool list, show, release and drop', async (t) => {
  const { dir, file } = childConfig(await freePort());
  const rita = new Gpg('rita');
  t.teardown(() => {
    rita.dispose();
    rmSync(dir, { recursive: true, force: true });
  });
  const cfg = ['--config', file];
  t.equal(vmtd(['init', ...cfg]).code, 0);
  rita.importKey(vmtd(['keys', 'team', ...cfg]).stdout);

  // A report whose armor a gateway mangled (quarantined as bad input), and a large report whose
  // spool file went missing (quarantined after three failed attempts).
  const lines = rita.encrypt(textPart(SECRET), ['security@example.org']).split('\n');
  const mid = lines.findIndex((l, i) => i > 2 && l.length > 40);
  lines[mid] = 'AAAA' + lines[mid]!.slice(4, 20) + 'ZZZZ' + lines[mid]!.slice(24);
  const broken = join(dir, 'broken.eml');
  writeFileSync(broken, pgpMime({ from: 'rita@reporter.example', to: 'security@example.org', subject: 'broken' }, lines.join('\n')));
  const large = join(dir, 'large.eml');
  writeFileSync(large, plainMail({ from: 'anon@nokey.example', to: 'security@example.org', subject: 'large report' }, `${SECRET}\n${'w'.repeat(2_000_000)}`));
  const idOf = (out: string): number => Number(/queued as (\d+)/.exec(out)![1]);
  const a = idOf(vmtd(['ingest', broken, '--sender', 'rita@reporter.example', ...cfg]).stdout);
  const b = idOf(vmtd(['ingest', large, '--sender', 'anon@nokey.example', ...cfg]).stdout);
  const spoolDir = join(dir, 'data', 'spool');
  const [spoolFile] = readdirSync(spoolDir);
  renameSync(join(spoolDir, spoolFile!), join(dir, 'saved.sealed'));

  // The daemon works the spool: the first is quarantined at once, the second after three polls.
  const daemon = await serve(file);
  t.teardown(() => void (daemon.exitCode === null && daemon.kill('SIGKILL')));
  const live = new Database(join(dir, 'data', 'vmtd.sqlite'), { readonly: true });
  t.teardown(() => live.close());
  const state = (id: number): string => (live.prepare('SELECT state FROM spool WHERE id = ?').get(id) as { state: string }).state;
  await eventually(() => (state(a) === 'quarantined' && state(b) === 'quarantined' ? true : undefined), 30_000);

  const list = vmtd(['spool', 'list', '--json', ...cfg]);
  t.equal(list.code, 0, list.stderr);
  const rows = JSON.parse(list.stdout) as Array<Record<string, unknown>>;
  t.match(rows, [
    { id: a, via: 'ingest', mailFrom: 'rita@reporter.example', state: 'quarantined', outcome: null, reason: /armor|packets|decrypt/ },
    { id: b, via: 'ingest', mailFrom: 'anon@nokey.example', state: 'quarantined', attempts: 3, reason: /^unreadable spool row after 3 attempts: ENOENT/ },
  ]);
  for (const k of ['receivedAt', 'size', 'rcptTo']) t.ok(k in rows[0]!, `list has ${k}`);
  t.notMatch(list.stdout, SECRET, 'list shows no content');
  const human = vmtd(['spool', 'list', '--quarantined', ...cfg]);
  t.match(human.stdout, /^ID\s+RECEIVED\s+VIA\s+SENDER\s+SIZE\s+STATE\s+ATTEMPTS\s+OUTCOME\s+REASON$/m);
  t.match(human.stdout, new RegExp(`^${b}\\s+\\S+\\s+ingest\\s+anon@nokey\\.example\\s+\\d+\\s+quarantined\\s+3\\s+-\\s+unreadable spool row`, 'm'));

  // show: the facts, then the message as received, with a warning on stderr.
  const shown = vmtd(['spool', 'show', String(a), ...cfg]);
  t.equal(shown.code, 0, shown.stderr);
  t.match(shown.stdout, new RegExp(`^spool ${a}  quarantined`));
  t.match(shown.stdout, /^sender:\s+rita@reporter\.example$/m);
  t.match(shown.stdout, /Subject: broken[\s\S]*-----BEGIN PGP MESSAGE-----/, 'the message as received');
  t.match(shown.stderr, /embargoed content/);
  const json = JSON.parse(vmtd(['spool', 'show', String(a), '--json', ...cfg]).stdout) as Record<string, unknown>;
  t.match(json, { id: a, state: 'quarantined', message: /-----BEGIN PGP MESSAGE-----/ });
  const unreadable = vmtd(['spool', 'show', String(b), ...cfg]);
  t.equal(unreadable.code, 65, 'a row that cannot be unsealed: EX_DATAERR');
  t.match(unreadable.stdout, new RegExp(`^spool ${b}  quarantined`), 'its facts still shown');
  t.match(unreadable.stderr, /cannot be read or unsealed: ENOENT/);

  // The operator restores the file and releases the row: the running daemon processes it.
  renameSync(join(dir, 'saved.sealed'), join(spoolDir, spoolFile!));
  const released = vmtd(['spool', 'release', String(b), ...cfg]);
  t.equal(released.code, 0, released.stderr);
  t.match(released.stdout, new RegExp(`released spool ${b}`));
  await eventually(() => (state(b) === 'done' ? true : undefined), 30_000);
  t.match(JSON.parse(vmtd(['spool', 'show', String(b), '--json', ...cfg]).stdout), { state: 'done', outcome: 'report', attempts: 0, reason: null, caseId: /^SEC-/ }, 'processed after release: a case');

  // drop: kept, marked, never processed; only a quarantined row can be released or dropped.
  const dropped = vmtd(['spool', 'drop', String(a), ...cfg]);
  t.equal(dropped.code, 0, dropped.stderr);
  t.match(JSON.parse(vmtd(['spool', 'show', String(a), '--json', ...cfg]).stdout), { state: 'done', outcome: 'dropped', reason: /armor|packets|decrypt/, message: /BEGIN PGP MESSAGE/ }, 'the row and its content are kept');
  t.same(JSON.parse(vmtd(['spool', 'list', '--quarantined', '--json', ...cfg]).stdout), [], 'the quarantine is empty');
  t.equal(vmtd(['spool', 'drop', String(a), ...cfg]).code, 65, 'not quarantined any more');
  t.equal(vmtd(['spool', 'release', '9999', ...cfg]).code, 66, 'no such row');
  daemon.kill('SIGTERM');
  t.equal(await exited(daemon), 0);
  t.equal(state(a), 'done', 'the dropped row was never processed again');

  // Both were recorded as events, with who did it and the reason the row had.
  const events = (live.prepare("SELECT actor, kind, detail FROM events WHERE kind LIKE 'spool-%' ORDER BY id").all() as Array<{ actor: string; kind: string; detail: string }>).map((e) => ({ ...e, detail: JSON.parse(e.detail) as unknown }));
  t.match(events, [
    { actor: /^cli:/, kind: 'spool-released', detail: { spool: b, reason: /ENOENT/ } },
    { actor: /^cli:/, kind: 'spool-dropped', detail: { spool: a, reason: /armor|packets|decrypt/ } },
  ]);
});

t.test('spool --help and usage errors', async (t) => {
  const { dir, file } = childConfig(await freePort());
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const help = vmtd(['spool', '--help']);
  t.equal(help.code, 0);
  t.match(help.stdout, /^usage: vmtd spool/);
  for (const sub of ['list [--quarantined] [--json]', 'show ID [--json]', 'release ID', 'drop ID']) t.ok(help.stdout.includes(sub), sub);
  t.notMatch(help.stdout, /advisory render/, 'the spool help alone');
  t.equal(vmtd(['spool', 'list', '--config', file]).code, 66, 'no database yet: EX_NOINPUT, and none is made');
  t.same(readdirSync(dir), ['vmtd.yaml']);
  t.equal(vmtd(['init', '--config', file]).code, 0);
  t.equal(vmtd(['spool', 'frobnicate', '--config', file]).code, 64);
  t.equal(vmtd(['spool', 'show', 'x', '--config', file]).code, 64);
  t.match(vmtd(['spool', 'list', '--config', file]).stdout, /no messages waiting, quarantined or set aside/);
});
