// vmtd as a separate process, the way an admin runs it: `node bin/vmtd.js serve --config FILE`.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { testConfigYaml } from './vmtd.js';

export const repoRoot = resolve(import.meta.dirname, '../..');
export const vmtdBin = join(repoRoot, 'bin/vmtd.js');

/** A test directory with a config file whose SMTP port is fixed (so a restart reuses it). */
export function childConfig(port: number, extra = ''): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'vmtd-child-'));
  const file = join(dir, 'vmtd.yaml');
  writeFileSync(file, testConfigYaml(dir, extra).replace('port: 0', `port: ${port}`));
  return { dir, file };
}

/** Runs one CLI command to completion. */
export function vmtd(args: string[], input?: Buffer | string): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [vmtdBin, ...args], { input: input ?? '', encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 });
  return { code: r.status ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

/** Starts `vmtd serve`; resolves once it says it is listening. */
export async function serve(configFile: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [vmtdBin, 'serve', '--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  await new Promise<void>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`vmtd serve did not start: ${err}`)), 20_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('SMTP on')) {
        clearTimeout(timer);
        ok();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`vmtd serve exited with ${code}: ${err}`));
    });
  });
  return child;
}

/** Resolves with the exit code (or signal) once the child has exited. */
export function exited(child: ChildProcess): Promise<number | string> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((ok) => child.once('exit', (code, signal) => ok(code ?? signal ?? -1)));
}

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((ok) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => ok(port));
    });
  });
}

/** Polls until `check` returns a value (not undefined), or fails after `ms`. */
export async function eventually<T>(check: () => T | undefined, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}
