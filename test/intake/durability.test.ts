// An acknowledged message is durable: kill -9 right after the 250 loses nothing.
import t from 'tap';
import { Socket } from 'node:net';
import { readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { childConfig, eventually, exited, freePort, serve, vmtd } from '../helpers/child.js';
import { plainMail } from '../helpers/mails.js';

/** Speaks SMTP by hand so that the kill can follow the 250 with nothing in between. */
async function sendRaw(port: number, raw: Buffer, onAccepted: () => void): Promise<string> {
  const sock = new Socket();
  await new Promise<void>((ok, fail) => sock.connect(port, '127.0.0.1', ok).once('error', fail));
  let buf = '';
  const waitFor = (code: string) =>
    new Promise<string>((ok, fail) => {
      const check = (): void => {
        const m = new RegExp(`^${code}[ ].*$`, 'm').exec(buf);
        if (m) {
          buf = '';
          sock.off('data', on);
          ok(m[0]);
        } else if (/^[45]\d\d /m.test(buf)) fail(new Error(buf));
      };
      const on = (d: Buffer): void => {
        buf += d.toString();
        check();
      };
      sock.on('data', on);
      check();
    });
  await waitFor('220');
  sock.write('EHLO test\r\n');
  await waitFor('250');
  sock.write('MAIL FROM:<rita@reporter.example>\r\n');
  await waitFor('250');
  sock.write('RCPT TO:<security@example.org>\r\n');
  await waitFor('250');
  sock.write('DATA\r\n');
  await waitFor('354');
  sock.write(Buffer.concat([raw, Buffer.from('\r\n.\r\n')]));
  const reply = await waitFor('250');
  onAccepted();
  sock.destroy();
  return reply;
}

t.test('a message acknowledged with 250 survives kill -9 and becomes a case after restart', async (t) => {
  const port = await freePort();
  const { dir, file } = childConfig(port);
  const first = await serve(file);
  const raw = plainMail({ from: 'rita@reporter.example', to: 'security@example.org', subject: 'durable' }, 'report body');
  const reply = await sendRaw(port, raw, () => first.kill('SIGKILL'));
  t.match(reply, /^250 /);
  t.equal(await exited(first), 'SIGKILL');

  const second = await serve(file);
  const cases = await eventually(() => {
    const r = vmtd(['case', 'list', '--json', '--config', file]);
    const list = JSON.parse(r.stdout) as Array<{ id: string }>;
    return list.length > 0 ? list : undefined;
  });
  t.equal(cases.length, 1, 'exactly one case: nothing lost, nothing doubled');
  second.kill('SIGTERM');
  t.equal(await exited(second), 0, 'SIGTERM stops the daemon cleanly with exit 0');
  rmSync(dir, { recursive: true, force: true });
});

t.test('a large message (its own spool file) acknowledged with 250 survives kill -9; files of unacknowledged ones are removed', async (t) => {
  const port = await freePort();
  const { dir, file } = childConfig(port);
  const first = await serve(file);
  const raw = plainMail({ from: 'rita@reporter.example', to: 'security@example.org', subject: 'durable and large' }, 'y'.repeat(3_000_000));
  const reply = await sendRaw(port, raw, () => first.kill('SIGKILL'));
  t.match(reply, /^250 /);
  t.equal(await exited(first), 'SIGKILL');
  const spoolDir = join(dir, 'data', 'spool');
  const kept = readdirSync(spoolDir);
  t.equal(kept.length, 1, 'the acknowledged message is in its file');
  // What a crash in the middle of a transfer leaves behind: a file no spool row names.
  writeFileSync(join(spoolDir, '1-0000000000000000.sealed'), 'partial');
  writeFileSync(join(dir, 'data', 'blobs', '1-0000000000000000.pgp'), 'from a rolled-back step');
  // Left by a crash an hour ago; a fresh file could be a concurrent `vmtd ingest` about to commit.
  const anHourAgo = new Date(Date.now() - 3_600_000);
  for (const f of [join(spoolDir, '1-0000000000000000.sealed'), join(dir, 'data', 'blobs', '1-0000000000000000.pgp')]) utimesSync(f, anHourAgo, anHourAgo);
  writeFileSync(join(dir, 'data', 'blobs', '2-0000000000000000.pgp'), 'being written right now');

  const second = await serve(file);
  const cases = await eventually(() => {
    const r = vmtd(['case', 'list', '--json', '--config', file]);
    const list = JSON.parse(r.stdout) as Array<{ id: string }>;
    return list.length > 0 ? list : undefined;
  });
  t.equal(cases.length, 1, 'exactly one case');
  t.same(readdirSync(spoolDir), kept, 'the unacknowledged partial file was removed, the acknowledged one kept');
  t.notOk(readdirSync(join(dir, 'data', 'blobs')).includes('1-0000000000000000.pgp'), 'a blob no row names was removed');
  t.ok(readdirSync(join(dir, 'data', 'blobs')).includes('2-0000000000000000.pgp'), 'a fresh one is left alone');
  second.kill('SIGTERM');
  t.equal(await exited(second), 0);
  rmSync(dir, { recursive: true, force: true });
});
