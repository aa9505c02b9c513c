// Issue 17: the README's production recipes, run as written against the real components.
//  - "Postfix in front (MX)", the pipe-transport alternative: a real Postfix delivers through
//    pipe(8) running the README's master.cf line (read from README.md; only the paths, the user
//    and the ports are the test's), as an unprivileged user, as pipe(8) runs it.
//  - "Restore": backup, verify, stop, restore as the README's shell block says, doctor, serve.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { childConfig, eventually, exited, freePort, repoRoot, serve, vmtd, vmtdBin } from './helpers/child.js';
import { plainMail } from './helpers/mails.js';
import { hasPostfix, startPostfix, type Postfix } from './helpers/postfix.js';
import { startSmartHost, type SmartHost } from './helpers/smarthost.js';

const readme = readFileSync(`${repoRoot}/README.md`, 'utf8');

/** The fenced block of README.md that follows `marker` (the first after it). */
function readmeBlock(marker: string): string {
  const at = readme.indexOf(marker);
  if (at < 0) throw new Error(`README.md has no "${marker}"`);
  const m = /```[a-z]*\n([\s\S]*?)```/.exec(readme.slice(at));
  if (!m) throw new Error(`README.md has no code block after "${marker}"`);
  return m[1]!.replace(/^ {2}/gm, '');
}

// The unprivileged user pipe(8) runs vmtd as: the README's `vmtd` system user where it exists,
// else `nobody` (the test creates no user on the machine). Either owns the test's data directory.
const pipeUser = ['vmtd', 'nobody'].find((u) => spawnSync('id', ['-u', u]).status === 0);

t.test('README pipe transport: Postfix delivers through pipe(8) running `vmtd ingest`', { skip: !hasPostfix ? 'SKIPPED: postfix is not installed (or not root)' : !pipeUser ? 'SKIPPED: no unprivileged user (vmtd or nobody) to run the pipe as' : false }, async (t) => {
  const { dir, file } = childConfig(await freePort());
  const internet: SmartHost = await startSmartHost();
  // eslint-disable-next-line prefer-const -- assigned once Postfix starts, after the teardown that stops it is registered
  let pf: Postfix | undefined;
  t.teardown(async () => {
    pf?.stop();
    await internet.close();
    rmSync(dir, { recursive: true, force: true });
  });
  // `vmtd init` (the team key) runs while Postfix starts; nothing is sent before both are done.
  const init = spawn(process.execPath, [vmtdBin, 'init', '--config', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  let initErr = '';
  init.stderr!.on('data', (d: Buffer) => (initErr += d.toString()));
  const initDone = exited(init);
  const here = (s: string) =>
    s
      .replaceAll('/usr/bin/node', process.execPath)
      .replaceAll('/opt/vmtd/', `${repoRoot}/`)
      .replaceAll('/etc/vmtd/vmtd.yaml', file)
      .replaceAll('user=vmtd', `user=${pipeUser}`);
  const master = here(readmeBlock('Alternatively, a pipe transport'));
  t.match(master, /pipe [\s\S]*argv=/, 'the README block is a pipe service');
  pf = startPostfix({
    port: await freePort(),
    // README: a domain served only by vmtd, relayed whole; the transport map names the pipe service.
    main: `relay_domains = example.org
recipient_delimiter = +
transport_maps = regexp:/etc/postfix/vmtd-transport
relay_recipient_maps = regexp:/etc/postfix/vmtd-transport
`,
    files: {
      'vmtd-transport': `/^security(-bounces)?(\\+[^@]*)?@example\\.org$/   vmtd:
/@reporter\\.example$/   smtp:[127.0.0.1]:${internet.port}
`,
    },
    master,
  });
  t.equal(await initDone, 0, `vmtd init: ${initErr}`);
  const uid = Number(spawnSync('id', ['-u', pipeUser!]).stdout.toString());
  const gid = Number(spawnSync('id', ['-g', pipeUser!]).stdout.toString());
  // The data directory (and the test's config beside it) belong to the pipe's user, as the README says.
  t.equal(spawnSync('chown', ['-R', `${uid}:${gid}`, dir]).status, 0, 'chown');
  const mx = nodemailer.createTransport({ host: '127.0.0.1', port: pf.port, secure: false, ignoreTLS: true, greetingTimeout: 10_000 });
  t.teardown(() => mx.close());
  const send = async (to: string[], subject: string, from = 'rita@reporter.example') => {
    try {
      const info = await mx.sendMail({ envelope: { from, to }, raw: plainMail({ from, to: to[0]!, subject }, 'Project: libfoo\n\nthe parser overflows') });
      return { code: 250, response: info.response };
    } catch (err) {
      const e = err as { responseCode?: number; response?: string; message: string };
      return { code: e.responseCode ?? 0, response: e.response ?? e.message };
    }
  };
  const spool = () => JSON.parse(vmtd(['spool', 'list', '--json', '--config', file]).stdout) as Array<{ id: number; via: string; mailFrom: string; rcptTo: string[] }>;
  const diag = () => ({ maillog: pf!.log() });
  const bogus = 'security+no-such-case@example.org';
  const multi = ['security@example.org', 'security+project-libfoo@example.org'];
  // Sent together, checked one by one below: Postfix runs the pipes side by side.
  const sent = {
    report: send(['security@example.org'], 'report through the pipe'),
    multi: send(multi, 'two recipients through the pipe'),
    bounce: send(['security@example.org'], 'a bounce to the intake', ''),
    bogus: send([bogus], 'to a bogus case'),
  };

  t.test('a report lands in the spool, with its envelope', async (t) => {
    const r = await sent.report;
    t.equal(r.code, 250, 'Postfix accepts it', { response: r.response, ...diag() });
    const row = await eventually(() => spool().find((x) => x.via === 'ingest' && x.mailFrom === 'rita@reporter.example' && x.rcptTo.join() === 'security@example.org'), 15_000).catch((e: Error) => {
      t.fail(`nothing spooled: ${e.message}`, diag());
      throw e;
    });
    t.equal(row.mailFrom, 'rita@reporter.example', 'the envelope sender is recorded');
    t.match(pf!.log(), /relay=vmtd,.*status=sent \(delivered via vmtd service/, 'Postfix says the pipe delivered it');
    const shown = vmtd(['spool', 'show', String(row.id), '--config', file]);
    t.match(shown.stdout, /^Return-Path: <rita@reporter\.example>/m, 'flags=R: Return-Path prepended');
    t.match(shown.stdout, /Subject: report through the pipe/);
  });

  t.test('several recipients of one message: each is spooled', async (t) => {
    const to = multi;
    const r = await sent.multi;
    t.equal(r.code, 250, 'Postfix accepts both', { response: r.response });
    await eventually(() => (to.every((a) => spool().some((x) => x.rcptTo.includes(a) && x.mailFrom === 'rita@reporter.example')) ? true : undefined), 15_000).catch((e: Error) => {
      t.fail(`not both spooled: ${e.message}`, { spool: spool(), ...diag() });
      throw e;
    });
    t.notMatch(pf!.log(), /two recipients.*bounced|status=bounced.*security\+project/, 'nothing bounced');
  });

  t.test("a bounce's empty sender is passed as empty (null_sender=)", async (t) => {
    t.equal((await sent.bounce).code, 250);
    await eventually(() => spool().find((x) => x.mailFrom === '' && x.rcptTo.includes('security@example.org')), 15_000).catch((e: Error) => {
      t.fail(`not spooled with an empty sender: ${e.message}`, { spool: spool(), ...diag() });
      throw e;
    });
    t.notOk(spool().some((x) => x.mailFrom === 'MAILER-DAEMON'), 'never MAILER-DAEMON');
  });

  t.test('an address vmtd does not know: exit 67, Postfix bounces it to the sender', async (t) => {
    t.equal((await sent.bogus).code, 250, 'Postfix accepts what the pattern allows');
    const dsn = await eventually(() => internet.received.find((m) => m.raw.toString().includes(bogus)), 15_000).catch((e: Error) => {
      t.fail(`no bounce came back: ${e.message}`, diag());
      throw e;
    });
    t.equal(dsn.from, '', 'a bounce: null envelope sender');
    t.match(dsn.raw.toString(), /Status: 5\.1\.1/, 'EX_NOUSER is 5.1.1');
    t.match(dsn.raw.toString(), /no such recipient here/, "vmtd's reason is quoted");
    t.notOk(spool().some((x) => x.rcptTo.includes(bogus)), 'nothing spooled for it');
  });

  t.test('vmtd cannot store it: exit 75, Postfix defers and delivers once it can', async (t) => {
    // The data directory is out of the pipe user's reach (as after a restore without the chown).
    const before = spool().length;
    chmodSync(`${dir}/data`, 0o000);
    let restored = false;
    t.teardown(() => {
      if (!restored) chmodSync(`${dir}/data`, 0o700);
    });
    t.equal((await send(['security@example.org'], 'while the spool is unwritable')).code, 250);
    await eventually(() => (/status=deferred \(temporary failure\. Command output: vmtd: cannot open the spool/.test(pf!.log().replace(/\s+/g, ' ')) ? true : undefined), 15_000).catch((e: Error) => {
      t.fail(`not deferred: ${e.message}`, diag());
      throw e;
    });
    t.notMatch(pf!.log(), /status=bounced.*unwritable|unwritable.*status=bounced/);
    chmodSync(`${dir}/data`, 0o700);
    restored = true;
    pf!.flush();
    await eventually(() => (spool().length === before + 1 ? true : undefined), 15_000).catch((e: Error) => {
      t.fail(`not delivered after the retry: ${e.message}`, { spool: spool(), ...diag() });
      throw e;
    });
    t.equal(internet.received.filter((m) => m.raw.toString().includes('while the spool is unwritable')).length, 0, 'never bounced');
  });
  t.end();
});

t.test("README restore: backup, verify, stop, the README's restore block, doctor, serve", async (t) => {
  const port = await freePort();
  const { dir, file } = childConfig(port);
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const cfg = ['--config', file];
  const cases = () => JSON.parse(vmtd(['case', 'list', '--json', ...cfg]).stdout) as Array<{ id: string; title: string }>;
  let daemon = await serve(file);
  t.teardown(() => {
    daemon.kill('SIGKILL');
  });
  const client = nodemailer.createTransport({ host: '127.0.0.1', port, ignoreTLS: true });
  t.teardown(() => client.close());
  const report = (from: string, subject: string, body: string) => client.sendMail({ envelope: { from, to: ['security@example.org'] }, raw: plainMail({ from, to: 'security@example.org', subject }, body) });
  await report('r1@reporter.example', 'before the backup', 'Project: libfoo\n\nsmall');
  // A large one: its raw message, content and relay payload are files, restored from FILE.files/.
  await report('r2@reporter.example', 'large before the backup', `RESTORE-LARGE-MARK\n${'z'.repeat(1_200_000)}`);
  await eventually(() => (cases().length === 2 ? true : undefined), 15_000);

  const backupDir = join(dir, 'backup');
  const safe = join(dir, 'safe');
  mkdirSync(backupDir);
  mkdirSync(safe);
  const copy = join(backupDir, 'vmtd.sqlite');
  const b = vmtd(['backup', copy, ...cfg]);
  t.equal(b.code, 0, `vmtd backup: ${b.stderr}`);
  t.ok(existsSync(`${copy}.files`), 'the large-blob files are beside the copy');
  // The keys' own backup ("back them up separately").
  for (const k of ['data.key', 'team.key']) copyFileSync(join(dir, 'data', k), join(safe, k));
  daemon.kill('SIGTERM');
  t.equal(await exited(daemon), 0, 'stopped');

  // The README's block as written; `vmtd` and `systemctl` are shell functions here (the test
  // starts the daemon itself), the paths are the test's.
  const block = readmeBlock('- **Restore.**')
    .replaceAll('/backup/vmtd.sqlite', copy)
    .replaceAll('/safe/place', safe)
    .replaceAll('/etc/vmtd/vmtd.yaml', file)
    .replace(/^D=.*$/m, `D=${join(dir, 'data')}`);
  t.match(block, /cp .*data\.key/, 'the README block restores the keys');
  const script = `set -e
vmtd() { ${process.execPath} ${vmtdBin} "$@"; }
systemctl() { echo "systemctl $*"; }
${block}`;
  const r = spawnSync('bash', ['-c', script], { encoding: 'utf8', timeout: 30_000 });
  t.equal(r.status, 0, 'the restore block runs to its end', { stdout: r.stdout, stderr: r.stderr });
  t.match(r.stdout, /vmtd\.sqlite: OK \(integrity ok/, 'backup --verify says OK');
  t.notMatch(r.stdout, /FAIL/, 'doctor finds nothing failing');
  t.match(r.stdout, /^systemctl start vmtd$/m, 'doctor exited 0, so the block starts the service');
  t.match(r.stdout, /before the backup/, 'case list shows the cases');
  const data = join(dir, 'data');
  t.equal(statSync(data).mode & 0o777, 0o700, 'the data directory is 0700');
  t.notOk(readdirSync(data).some((f) => /-(wal|shm)$/.test(f)), 'no -wal/-shm from before');
  t.equal(statSync(join(data, 'team.key')).mode & 0o077, 0, 'team.key is not readable by others');

  // A backup without large messages has no FILE.files/: the block's line for it must not fail.
  const filesLine = block.split('\n').find((l) => l.includes('.files'))!;
  const noFiles = spawnSync('bash', ['-c', `set -e\nD=${join(dir, 'empty')}\nmkdir "$D"\n${filesLine.replaceAll(copy, join(dir, 'none.sqlite'))}`], { encoding: 'utf8' });
  t.equal(noFiles.status, 0, `the FILE.files/ line passes when there is none: ${filesLine}`, { stderr: noFiles.stderr });

  daemon = await serve(file);
  const titles = cases().map((c) => c.title).sort();
  t.same(titles, ['before the backup', 'large before the backup'], 'the cases of before the backup are there');
  // Spool row 2 is the large message (sent second, over 1 MiB: its raw message is a file).
  t.match(vmtd(['spool', 'show', '2', ...cfg]).stdout, /RESTORE-LARGE-MARK/, 'its restored spool file opens with the restored data key');
  await report('r3@reporter.example', 'after the restore', 'Project: libfoo\n\nnew');
  await eventually(() => (cases().some((c) => c.title === 'after the restore') ? true : undefined), 15_000);
  t.pass('a report sent after the restore is processed');
  daemon.kill('SIGTERM');
  t.equal(await exited(daemon), 0);
});
