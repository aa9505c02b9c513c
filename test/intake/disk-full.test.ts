// A full disk under the data directory: SMTP answers 452 (try later), nothing half-written, and
// mail is accepted again once there is room.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { plainMail } from '../helpers/mails.js';
import { startTestVmtd } from '../helpers/vmtd.js';

const root = process.getuid?.() === 0;

t.test('SQLITE_FULL on the spool answers 452 and loses nothing', { skip: root ? false : 'SKIPPED: mounting a small tmpfs needs root' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vmtd-full-'));
  const mnt = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', dir]);
  if (mnt.status !== 0) {
    t.skip(`cannot mount a tmpfs here: ${mnt.stderr.toString().trim()}`, () => {});
    rmSync(dir, { recursive: true, force: true });
    return;
  }
  const v = await startTestVmtd({ dir });
  t.teardown(async () => {
    await v.stop();
    spawnSync('umount', ['-l', dir]);
    rmSync(dir, { recursive: true, force: true });
  });
  await v.daemon.pipeline.stop();
  // Fill the filesystem, leaving the database no room to grow.
  const filler = join(dir, 'filler');
  spawnSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=64k', 'count=1000']);
  const big = plainMail({ from: 'a@b.example', to: 'security@example.org', subject: 'full' }, 'x'.repeat(600 * 1024));
  const r = await v.send(big, { from: 'a@b.example', to: ['security@example.org'] });
  t.equal(r.code, 452, 'insufficient storage: the sender retries later');
  const n = (v.daemon.ctx.db.prepare('SELECT COUNT(*) AS n FROM spool').get() as { n: number }).n;
  t.equal(n, 0, 'nothing half-written');
  const large = plainMail({ from: 'a@b.example', to: 'security@example.org', subject: 'full and large' }, 'x'.repeat(2_000_000));
  t.equal((await v.send(large, { from: 'a@b.example', to: ['security@example.org'] })).code, 452, 'a large message (spooled to its own file) too');
  t.same(readdirSync(join(dir, 'data', 'spool')), [], 'and its partial file is removed');
  unlinkSync(filler);
  writeFileSync(join(dir, '.ok'), '');
  const again = await v.send(big, { from: 'a@b.example', to: ['security@example.org'] });
  t.equal(again.code, 250, 'accepted once there is room');
});
