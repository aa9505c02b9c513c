// The shipped unit passes `systemd-analyze verify`, keeps its hardening (`systemd-analyze
// security`: exposure and the options it still lists), and vmtd speaks sd_notify as Type=notify
// needs: READY=1 once serving, RELOADING=1/READY=1 around SIGHUP, STOPPING=1 on SIGTERM.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { childConfig, exited, freePort, vmtdBin } from './helpers/child.js';

const root = resolve(import.meta.dirname, '..');
const hasAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;
const hasNotify = spawnSync('systemd-notify', ['--version']).status === 0;
const hasPython = spawnSync('python3', ['--version']).status === 0;
const unit = readFileSync(join(root, 'systemd/vmtd.service'), 'utf8');
/** The unit as installed, ExecStart pointing at this checkout (verify checks that the binary exists). */
const here = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'vmtd-unit-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'vmtd.service');
  writeFileSync(file, unit.replace('/usr/bin/node /opt/vmtd/bin/vmtd.js', `${process.execPath} ${join(root, 'bin/vmtd.js')}`).replace('WorkingDirectory=/opt/vmtd', `WorkingDirectory=${root}`));
  return file;
};

t.test('the unit and npm start run the daemon with the allocator setting README "Memory" relies on', async (t) => {
  t.match(unit, /^Environment=MALLOC_MMAP_THRESHOLD_=131072$/m, 'the unit');
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  t.match(pkg.scripts.start, /^MALLOC_MMAP_THRESHOLD_=131072 node bin\/vmtd\.js serve/, 'npm start');
});

t.test('systemd/vmtd.service verifies and is hardened', { skip: hasAnalyze ? false : 'SKIPPED: systemd-analyze is not installed' }, async (t) => {
  const lines = unit.split('\n');
  for (const directive of [
    'Type=notify',
    'NotifyAccess=all',
    'ExecReload=/bin/kill -HUP $MAINPID',
    'NoNewPrivileges=yes',
    'ProtectSystem=strict',
    'ProtectHome=yes',
    'PrivateTmp=yes',
    'PrivateUsers=yes',
    'PrivateMounts=yes',
    'ProcSubset=pid',
    'DevicePolicy=closed',
    'IPAddressDeny=any',
    'IPAddressAllow=localhost',
    'SystemCallFilter=@system-service',
    'SystemCallFilter=~@privileged @resources',
    'SystemCallErrorNumber=EPERM',
    'CapabilityBoundingSet=',
    'StateDirectory=vmtd',
    'Restart=on-failure',
  ]) {
    t.ok(lines.includes(directive), directive);
  }
  t.match(unit, /^#LoadCredential=smtp-pass:\/etc\/vmtd\/credentials\/smtp-pass$/m, 'the credential for passFile, documented');
  const file = here();
  const verify = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
  t.equal(verify.status, 0, verify.stderr);
  const security = spawnSync('systemd-analyze', ['security', '--offline=yes', '--no-pager', file], { encoding: 'utf8' });
  const exposure = /Overall exposure level for vmtd\.service: (\d+\.\d)/.exec(security.stdout);
  t.ok(exposure, `an exposure level: ${security.stdout.slice(-200)}`);
  // 1.7 before issue 17's options; what remains is Node's JIT (MemoryDenyWriteExecute), the
  // network a mail daemon needs, the rtc read that ProtectClock adds, and NotifyAccess=all.
  t.ok(Number(exposure?.[1]) <= 1.2, `exposure ${exposure?.[1]} ≤ 1.2`);
  const listed = security.stdout.split('\n').filter((l) => l.startsWith('✗')).map((l) => l.slice(2).split(/\s+/)[0]);
  for (const gone of ['SystemCallFilter=~@privileged', 'SystemCallFilter=~@resources', 'ProcSubset=', 'PrivateUsers=', 'PrivateMounts=']) t.notOk(listed.includes(gone), `${gone} no longer listed`);
  t.same(
    listed.sort(),
    ['DeviceAllow=', 'IPAddressDeny=', 'MemoryDenyWriteExecute=', 'NotifyAccess=', 'PrivateNetwork=', 'RestrictAddressFamilies=~AF_(INET|INET6)', 'RestrictAddressFamilies=~AF_UNIX', 'RootDirectory=/RootImage='],
    'only these remain (each explained in the unit or README)',
  );
  t.match(security.stdout, /IPAddressDeny=\s+Service defines IP address allow list with only localhost entries/);
});

// A receiver for sd_notify datagrams (Node cannot bind a unix datagram socket): prints each one on
// a line, with newlines inside shown as '|'. Received file descriptors (systemd-notify's barrier)
// are dropped by the kernel (no room for them), which releases the sender.
const receiver = `
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("bound", flush=True)
while True:
    data = s.recv(4096)
    print(data.decode().strip().replace("\\n", "|"), flush=True)
`;

t.test('vmtd serve under NOTIFY_SOCKET: READY=1, RELOADING=1 then READY=1 on SIGHUP, STOPPING=1 on SIGTERM', { skip: hasNotify && hasPython ? false : 'SKIPPED: needs systemd-notify and python3' }, async (t) => {
  const { dir, file } = childConfig(await freePort());
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const socket = join(dir, 'notify.sock');
  const py = spawn('python3', ['-c', receiver, socket], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => py.kill());
  const got: string[] = [];
  const waiters: Array<() => void> = [];
  let buffered = '';
  py.stdout.on('data', (d: Buffer) => {
    buffered += d.toString();
    const parts = buffered.split('\n');
    buffered = parts.pop()!;
    got.push(...parts);
    waiters.splice(0).forEach((w) => w());
  });
  const until = async (test: (lines: string[]) => boolean, what: string): Promise<void> => {
    const deadline = Date.now() + 20_000;
    while (!test(got)) {
      if (Date.now() > deadline) throw new Error(`no ${what}; got ${JSON.stringify(got)}`);
      await new Promise<void>((ok) => {
        waiters.push(ok);
        setTimeout(ok, 200);
      });
    }
  };
  await until((l) => l.includes('bound'), 'receiver');
  const child = spawn(process.execPath, [vmtdBin, 'serve', '--config', file], { env: { ...process.env, NOTIFY_SOCKET: socket }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  await until((l) => l.some((x) => x.includes('READY=1')), 'READY=1');
  const ready = got.find((x) => x.includes('READY=1'))!;
  t.match(ready, new RegExp(`MAINPID=${child.pid}`), 'names vmtd as the main process');
  t.match(ready, /STATUS=serving security@example\.org on 127\.0\.0\.1:\d+/);
  const before = got.length;
  child.kill('SIGHUP');
  await until((l) => l.slice(before).some((x) => x.includes('READY=1')), 'READY=1 after the reload');
  const reload = got.slice(before).filter((x) => x !== '' && x !== 'BARRIER=1');
  t.match(reload[0], /RELOADING=1/, 'RELOADING=1 first');
  t.match(reload.at(-1), /READY=1/, 'then READY=1');
  child.kill('SIGTERM');
  await until((l) => l.some((x) => x.includes('STOPPING=1')), 'STOPPING=1');
  t.equal(await exited(child), 0, stderr);
  t.notMatch(stderr, /systemd-notify failed/);
});
