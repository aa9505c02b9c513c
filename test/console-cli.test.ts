// The operator's console (issue 17): --version, per-command --help, and output piped into a
// reader that stops early (`vmtd case list | head -1`).
import t from 'tap';
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { childConfig, freePort, repoRoot, vmtd, vmtdBin } from './helpers/child.js';

t.test('--version, per-command --help, usage', async (t) => {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
  for (const args of [['--version'], ['outbox', '--version']]) {
    const r = vmtd(args);
    t.equal(r.code, 0);
    t.equal(r.stdout, `vmtd ${pkg.version}\n`, args.join(' '));
  }
  for (const [cmd, want] of [
    ['outbox', /list \[--state failed\|queued\|sending\|sent\] \[--json\][\s\S]*retry ID/],
    ['keys', /show FPR\|EMAIL[\s\S]*remove FPR/],
    ['case', /events ID \[--json\]/],
    ['backup', /--verify FILE/],
    ['serve', /^usage: vmtd serve/],
    ['doctor', /^usage: vmtd doctor/],
    ['ingest', /^usage: vmtd ingest/],
  ] as const) {
    const r = vmtd([cmd, '--help']);
    t.equal(r.code, 0, `${cmd} --help`);
    t.match(r.stdout, want);
    t.notMatch(r.stdout, /^commands:/m, 'that command alone');
  }
  t.equal(vmtd(['outbox']).code, 64);
});

t.test('output piped into a reader that stops early: no EPIPE stack trace', async (t) => {
  const { dir, file } = childConfig(await freePort());
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  t.equal(vmtd(['init', '--config', file]).code, 0);
  for (const args of [['keys', 'list'], ['case', 'list'], ['--help'], ['keys', 'team']]) {
    // The reader has gone before vmtd writes a byte (as `| head -1` does after its line).
    const child = spawn(process.execPath, [vmtdBin, ...args, '--config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((ok) => child.on('close', (c) => ok(c)));
    t.equal(err, '', `${args.join(' ')}: nothing on stderr`);
    t.equal(code, 0, `${args.join(' ')}: exits quietly`);
  }
});
