// A sender that drops the connection in the middle of a large DATA leaves nothing behind: no
// spool row, no file, no open file handle (a hostile sender could otherwise exhaust them).
import t from 'tap';
import { Socket } from 'node:net';
import { readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from '../helpers/child.js';
import { startTestVmtd } from '../helpers/vmtd.js';

const openSpoolFiles = (dir: string): string[] =>
  readdirSync('/proc/self/fd')
    .map((fd) => {
      try {
        return readlinkSync(join('/proc/self/fd', fd));
      } catch {
        return '';
      }
    })
    .filter((p) => p.startsWith(join(dir, 'data', 'spool')));

t.test('a large transfer cut off mid-DATA: no row, no file, no open handle; the next message is fine', async (t) => {
  const v = await startTestVmtd();
  t.teardown(() => v.stop());
  for (let round = 0; round < 3; round++) {
    const sock = new Socket();
    await new Promise<void>((ok, fail) => sock.connect(v.port, '127.0.0.1', ok).once('error', fail));
    let text = '';
    sock.on('data', (d: Buffer) => (text += d.toString()));
    const waitFor = (re: RegExp): Promise<void> => eventually(() => (re.test(text) ? true : undefined), 5000).then(() => void (text = ''));
    await waitFor(/^220 /m);
    sock.write('EHLO test\r\n');
    await waitFor(/^250 /m);
    sock.write('MAIL FROM:<x@y.example>\r\nRCPT TO:<security@example.org>\r\nDATA\r\n');
    await waitFor(/^354 /m);
    sock.write(`From: x@y.example\r\nSubject: cut\r\n\r\n${'q'.repeat(76)}\r\n`.repeat(1));
    sock.write(`${'q'.repeat(76)}\r\n`.repeat(40_000)); // ~3 MB: spilled to a file
    await eventually(() => (readdirSync(join(v.dir, 'data', 'spool')).length > 0 ? true : undefined), 5000);
    if (round === 0) t.pass('the partial message was being written to a spool file');
    sock.destroy();
  }
  await eventually(() => (readdirSync(join(v.dir, 'data', 'spool')).length === 0 && openSpoolFiles(v.dir).length === 0 ? true : undefined), 10_000).catch(() => undefined);
  t.same(readdirSync(join(v.dir, 'data', 'spool')), [], 'no spool file left');
  t.same(openSpoolFiles(v.dir), [], 'no spool file left open');
  t.equal((v.daemon.ctx.db.prepare('SELECT COUNT(*) AS n FROM spool').get() as { n: number }).n, 0, 'no spool row');
  const ok = await v.send(Buffer.from('From: x@y.example\r\nSubject: after\r\n\r\nbody\r\n'), { from: 'x@y.example', to: ['security@example.org'] });
  t.equal(ok.code, 250, 'the next message is accepted');
});
