// `vmtd serve` as an admin runs it: it starts whole or not at all (a taken port ends it within
// seconds with one line naming the address), and SIGHUP reloads configuration and keys.
import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { childConfig, eventually, exited, freePort, serve, vmtd, vmtdBin } from './helpers/child.js';
import { Gpg, pubKeyFile } from './helpers/gpg.js';
import { plainMail } from './helpers/mails.js';

async function occupy(port: number): Promise<Server> {
  const s = createServer();
  await new Promise<void>((ok) => s.listen(port, '127.0.0.1', () => ok()));
  return s;
}

/**
 * Runs `vmtd serve` to its end: exit code, stderr, how long it took. Before the fix it never ended
 * (planner and outbox kept running): killed after 30 s, its code is null.
 */
function serveOnce(file: string): { code: number | null; stderr: string; ms: number } {
  const start = Date.now();
  const r = spawnSync(process.execPath, [vmtdBin, 'serve', '--config', file], { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stderr: r.stderr, ms: Date.now() - start };
}

/** "Within seconds": node's start and opening the data directory take 1–2 s on an idle machine; slack for a loaded one. */
const WITHIN = 15_000;

const oneLine = (t: Test, stderr: string): void => {
  t.equal(stderr.split('\n').filter(Boolean).length, 1, `one line on stderr: ${stderr}`);
  t.notMatch(stderr, /^\s+at /m, 'no stack trace');
};

t.test('the SMTP port in use: exit 69 within seconds, one line naming address and port', async (t) => {
  const port = await freePort();
  const taken = await occupy(port);
  const { dir, file } = childConfig(port);
  t.teardown(() => {
    taken.close();
    rmSync(dir, { recursive: true, force: true });
  });
  t.equal(vmtd(['init', '--config', file]).code, 0, 'initialised (the team key is made before the clock starts)');
  const r = serveOnce(file);
  t.equal(r.code, 69, 'EX_UNAVAILABLE');
  t.equal(r.stderr, `vmtd: cannot listen on 127.0.0.1:${port}: address already in use (smtp.host, smtp.port)\n`);
  oneLine(t, r.stderr);
  t.ok(r.ms < WITHIN, `exited in ${r.ms} ms`);
  t.same(readdirSync(join(dir, 'outgoing', 'new')), [], 'nothing was sent: no planner, no outbox ran');
});

t.test('the metrics port in use: exit 69, and the SMTP port it had bound is free again', async (t) => {
  const smtpPort = await freePort();
  const metricsPort = await freePort();
  const taken = await occupy(metricsPort);
  const { dir, file } = childConfig(smtpPort, `metrics: { enabled: true, port: ${metricsPort} }`);
  t.teardown(() => {
    taken.close();
    rmSync(dir, { recursive: true, force: true });
  });
  t.equal(vmtd(['init', '--config', file]).code, 0);
  const r = serveOnce(file);
  t.equal(r.code, 69);
  t.equal(r.stderr, `vmtd: cannot listen on 127.0.0.1:${metricsPort}: address already in use (metrics.host, metrics.port)\n`);
  oneLine(t, r.stderr);
  t.ok(r.ms < WITHIN, `exited in ${r.ms} ms`);
  (await occupy(smtpPort)).close();
  t.pass('the SMTP port was released');
});

t.test('a data directory that is a file: exit 71, one line', async (t) => {
  const { dir, file } = childConfig(await freePort());
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'data'), 'not a directory');
  const r = serveOnce(file);
  t.equal(r.code, 71, 'EX_OSERR');
  t.match(r.stderr, new RegExp(`^vmtd: cannot use the data directory ${dir}/data: ${dir}/data is not a directory \\(instance\\.dataDir\\)\\n$`));
  oneLine(t, r.stderr);
});

interface Out {
  to: string;
  subject: string;
  encrypted: boolean;
  raw: string;
}

t.test('SIGHUP reloads the configuration and the keys; a broken configuration keeps the running one', async (t) => {
  const port = await freePort();
  const { dir, file } = childConfig(port, 'policy: { ackPerSenderPerHour: 1000 }');
  writeFileSync(file, readFileSync(file, 'utf8').replace(/^log: .*$/m, 'log: { level: info }'));
  const child = await serve(file);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
  const ron = new Gpg('ron');
  t.teardown(async () => {
    transport.close();
    ron.dispose();
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  const outgoing = join(dir, 'outgoing', 'new');
  const seen = new Set<string>();
  const fresh = (): Out[] =>
    readdirSync(outgoing)
      .sort()
      .filter((f) => !seen.has(f))
      .map((f) => {
        seen.add(f);
        const raw = readFileSync(join(outgoing, f), 'utf8');
        const head = raw.slice(0, raw.indexOf('\r\n\r\n'));
        return { to: /^Delivered-To: (.*)$/m.exec(head)![1]!.trim(), subject: /^Subject: (.*)$/m.exec(head)![1]!.trim(), encrypted: /multipart\/encrypted/i.test(head), raw };
      });
  /** Sends a report and returns the mail it caused: the ack to the sender and the relays. */
  const relayedTo = (out: Out[], sender: string): string[] => [...new Set(out.filter((o) => o.to !== sender).map((o) => o.to))].sort();
  /** Sends a report; returns the mail it caused once the ack and the relays to `members` coordinators are out. */
  const report = async (from: string, subject: string, members: number): Promise<Out[]> => {
    await transport.sendMail({ envelope: { from, to: ['security@example.org'] }, raw: plainMail({ from, to: 'security@example.org', subject }, 'the parser overflows') });
    const out: Out[] = [];
    await eventually(() => {
      out.push(...fresh());
      return out.some((o) => o.to === from) && relayedTo(out, from).length >= members ? true : undefined;
    });
    await new Promise((ok) => setTimeout(ok, 500));
    return [...out, ...fresh()];
  };

  const before = await report('ron@reporter.example', 'before the reload', 2);
  t.equal(before.find((o) => o.to === 'ron@reporter.example')?.encrypted, false, 'no key for ron yet: the ack is clear-signed');
  t.same(relayedTo(before, 'ron@reporter.example'), ['alice@example.org', 'bob@example.org']);

  // Meanwhile, another process imports ron's key, and the operator adds a coordinator.
  const imported = vmtd(['keys', 'import', pubKeyFile('ron'), '--config', file]);
  t.equal(imported.code, 0, imported.stderr);
  // (The SMTP port changed too: that waits for the next start, the daemon keeps listening where it is.)
  const good = readFileSync(file, 'utf8')
    .replace('coordinators:\n', `coordinators:\n  - { name: Carol, email: carol@libfoo.example, key: ${pubKeyFile('carol')} }\n`)
    .replace(`port: ${port}`, `port: ${await freePort()}`);
  writeFileSync(file, good);
  child.kill('SIGHUP');
  await eventually(() => (/reloaded configuration and keys/.test(stderr) ? true : undefined));
  t.equal(child.exitCode, null, 'alive after SIGHUP');
  t.match(stderr, /"keys":\["smtp"\].*these settings take effect only at the next start/, 'the port change is named as waiting for a restart');

  const after = await report('ron@reporter.example', 'after the reload', 3);
  const ack = after.find((o) => o.to === 'ron@reporter.example')!;
  t.equal(ack.encrypted, true, 'the key imported by another process is used after the HUP');
  const body = ack.raw.slice(ack.raw.indexOf('-----BEGIN PGP MESSAGE-----'), ack.raw.indexOf('-----END PGP MESSAGE-----') + 25);
  ron.importKey(vmtd(['keys', 'team', '--config', file]).stdout);
  const opened = ron.decrypt(body);
  t.equal(opened.code, 0, 'ron can read it');
  t.match(opened.status, /GOODSIG/, 'signed by the team');
  t.same(relayedTo(after, 'ron@reporter.example'), ['alice@example.org', 'bob@example.org', 'carol@libfoo.example'], 'the coordinator added to the configuration gets the case');

  // A configuration that does not load: logged, the running one kept.
  writeFileSync(file, `${good}\nsmtp: { port: seventy }\n`);
  const mark = stderr.length;
  child.kill('SIGHUP');
  await eventually(() => (/does not load; keeping the running one/.test(stderr.slice(mark)) ? true : undefined));
  const still = await report('anon@nokey.example', 'after a bad reload', 3);
  t.same(relayedTo(still, 'anon@nokey.example'), ['alice@example.org', 'bob@example.org', 'carol@libfoo.example'], 'still serving with the configuration it had');
  t.equal(child.exitCode, null, 'alive');

  child.kill('SIGTERM');
  t.equal(await exited(child), 0, 'stops cleanly on SIGTERM');
});
