// The shipped unit passes `systemd-analyze verify` (when systemd is on the machine).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const hasAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;

t.test('systemd/vmtd.service verifies and is hardened', { skip: hasAnalyze ? false : 'SKIPPED: systemd-analyze is not installed' }, (t) => {
  const unit = readFileSync(join(root, 'systemd/vmtd.service'), 'utf8');
  for (const directive of ['NoNewPrivileges=yes', 'ProtectSystem=strict', 'ProtectHome=yes', 'PrivateTmp=yes', 'RestrictAddressFamilies=', 'SystemCallFilter=@system-service', 'CapabilityBoundingSet=\n', 'StateDirectory=vmtd', 'Restart=on-failure']) {
    t.ok(unit.includes(directive), directive.trim());
  }
  // verify checks that ExecStart's binary exists: point it at this checkout for the check.
  const dir = mkdtempSync(join(tmpdir(), 'vmtd-unit-'));
  const file = join(dir, 'vmtd.service');
  writeFileSync(file, unit.replace('/usr/bin/node /opt/vmtd/bin/vmtd.js', `${process.execPath} ${join(root, 'bin/vmtd.js')}`).replace('WorkingDirectory=/opt/vmtd', `WorkingDirectory=${root}`));
  const r = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
  rmSync(dir, { recursive: true, force: true });
  t.end();
});
