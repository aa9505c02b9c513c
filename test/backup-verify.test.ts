// `vmtd backup FILE` leaves only FILE and FILE.files/ (no -wal/-shm), shows progress on stderr, and
// `vmtd backup --verify FILE` says OK or what is wrong, with the exit code to match.
import t from 'tap';
import { closeSync, mkdirSync, openSync, readdirSync, rmSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { childConfig, freePort, vmtd } from './helpers/child.js';
import { plainMail } from './helpers/mails.js';

t.test('backup and backup --verify', async (t) => {
  const { dir, file } = childConfig(await freePort());
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const cfg = ['--config', file];
  t.equal(vmtd(['init', ...cfg]).code, 0);
  // A large report: its raw message, sealed content and relay payload live in files.
  const report = join(dir, 'large.eml');
  writeFileSync(report, plainMail({ from: 'r@reporter.example', to: 'security@example.org', subject: 'large' }, `big\n${'z'.repeat(1_500_000)}`));
  t.equal(vmtd(['ingest', report, '--sender', 'r@reporter.example', ...cfg]).code, 0);
  t.equal(vmtd(['tick', ...cfg]).code, 0);

  const out = join(dir, 'backups');
  const copy = join(out, 'b.sqlite');
  mkdirSync(out);
  const r = vmtd(['backup', copy, ...cfg]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stderr, /^vmtd backup: database 100% \(\d+ pages\)$/m, 'progress on stderr');
  t.match(r.stderr, /^vmtd backup: large-blob files (\d+)\/\1$/m);
  t.notMatch(r.stdout, /vmtd backup:/, 'stdout keeps the result only');
  t.same(readdirSync(out).sort(), ['b.sqlite', 'b.sqlite.files'], 'no -wal or -shm beside the copy');

  const ok = vmtd(['backup', '--verify', copy, ...cfg]);
  t.equal(ok.code, 0, ok.stderr);
  t.match(ok.stdout, /b\.sqlite: OK \(integrity ok, schema version \d+, [3-9] large-blob files present\)/);
  t.same(readdirSync(out).sort(), ['b.sqlite', 'b.sqlite.files'], 'verifying creates nothing beside it');

  // A file the copy names is missing.
  const blobs = join(`${copy}.files`, 'blobs');
  const [gone] = readdirSync(blobs);
  unlinkSync(join(blobs, gone!));
  const missing = vmtd(['backup', '--verify', copy, ...cfg]);
  t.equal(missing.code, 65);
  t.match(missing.stdout, /b\.sqlite: NOT OK/);
  t.match(missing.stdout, new RegExp(`missing .*blobs/${gone!.replace(/[.+]/g, '\\$&')}`));

  // A damaged copy.
  const fd = openSync(copy, 'r+');
  writeSync(fd, Buffer.alloc(4096, 0xab), 0, 4096, 8192);
  closeSync(fd);
  const damaged = vmtd(['backup', '--verify', copy, ...cfg]);
  t.equal(damaged.code, 65, damaged.stdout + damaged.stderr);
  t.match(damaged.stdout + damaged.stderr, /NOT OK|not a readable SQLite database|malformed/);

  const none = vmtd(['backup', '--verify', join(dir, 'nothing.sqlite'), ...cfg]);
  t.equal(none.code, 66);
  t.match(none.stderr, /no such backup/);
});
