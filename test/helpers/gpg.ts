// GnuPG as the users of vmtd run it: a throwaway GNUPGHOME per person, the real `gpg` binary.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';

export const keysDir = resolve(import.meta.dirname, '../fixtures/keys');

export type Person = 'alice' | 'bob' | 'rita' | 'ron' | 'maint' | 'carol' | 'distros' | 'mallory' | 'signonly' | 'expired' | 'revoked';

export const emailOf: Record<Person, string> = {
  alice: 'alice@example.org',
  bob: 'bob@example.org',
  rita: 'rita@reporter.example',
  ron: 'ron@reporter.example',
  maint: 'maint@libfoo.example',
  carol: 'carol@libfoo.example',
  distros: 'linux-distros@vs.openwall.example',
  mallory: 'mallory@evil.example',
  signonly: 'sam@libfoo.example',
  expired: 'eve@libfoo.example',
  revoked: 'rex@libfoo.example',
};

export const pubKeyFile = (p: Person): string => join(keysDir, `${p}.pub.asc`);
export const pubKey = (p: Person): string => readFileSync(pubKeyFile(p), 'utf8');

export interface GpgResult {
  code: number;
  stdout: Buffer;
  stderr: string;
  status: string;
}

const gpgArgs = ['--batch', '--yes', '--no-tty', '--pinentry-mode', 'loopback', '--passphrase', '', '--trust-model', 'always', '--status-fd', '2'];

/**
 * A GNUPGHOME per person with their secret key imported, made once per test process and copied
 * for each `Gpg` (a suite makes hundreds; an import is a gpg run plus an agent start each time).
 */
const templates = new Map<Person, string>();
function templateFor(person: Person): string {
  let home = templates.get(person);
  if (home) return home;
  home = mkdtempSync(join(tmpdir(), `vmtd-gpg-template-${person}-`));
  const env = { ...process.env, GNUPGHOME: home };
  const r = spawnSync('gpg', [...gpgArgs, '--import', join(keysDir, `${person}.sec.asc`)], { env });
  if (r.status !== 0) throw new Error(`gpg import of ${person}'s secret key failed: ${r.stderr.toString()}`);
  spawnSync('gpgconf', ['--kill', 'gpg-agent'], { env });
  if (templates.size === 0) process.once('exit', () => templates.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
  templates.set(person, home);
  return home;
}

/** One person's GnuPG: their secret key and whatever public keys they were given. */
export class Gpg {
  readonly home: string;

  constructor(readonly person: Person) {
    this.home = mkdtempSync(join(tmpdir(), `vmtd-gpg-${person}-`));
    // Sockets and lock files belong to the template's (stopped) agent and gpg runs, not to a copy.
    cpSync(templateFor(person), this.home, { recursive: true, filter: (src) => !/^(S\.|\.#lk)/.test(basename(src)) });
  }

  run(args: string[], input?: Buffer | string): GpgResult {
    const r = spawnSync('gpg', [...gpgArgs, ...args], {
      env: { ...process.env, GNUPGHOME: this.home },
      input: input ?? '',
      maxBuffer: 256 * 1024 * 1024,
    });
    const stderr = r.stderr.toString();
    return { code: r.status ?? -1, stdout: r.stdout, stderr, status: stderr };
  }

  importKey(armored: string): void {
    const r = this.run(['--import'], armored);
    if (r.code !== 0) throw new Error(`gpg import failed: ${r.stderr}`);
  }

  fingerprint(email: string): string {
    const r = this.run(['--with-colons', '--list-keys', email]);
    const m = /^fpr:+([0-9A-F]{40}):/m.exec(r.stdout.toString());
    if (!m) throw new Error(`no key for ${email}`);
    return m[1]!;
  }

  /** Encrypts (and signs as this person, unless sign is false) to the recipients, armored. */
  encrypt(data: Buffer | string, recipients: string[], opts: { sign?: boolean; extra?: string[] } = {}): string {
    const args = ['--armor', ...(opts.sign === false ? [] : ['--sign', '--local-user', emailOf[this.person]]), ...(opts.extra ?? []), '--encrypt', ...recipients.flatMap((r) => ['--recipient', r])];
    const r = this.run(args, data);
    if (r.code !== 0) throw new Error(`gpg encrypt failed: ${r.stderr}`);
    return r.stdout.toString();
  }

  /** A detached armored signature over exact bytes. */
  detachSign(data: Buffer | string, extra: string[] = []): string {
    const r = this.run(['--armor', '--local-user', emailOf[this.person], ...extra, '--detach-sign'], data);
    if (r.code !== 0) throw new Error(`gpg sign failed: ${r.stderr}`);
    return r.stdout.toString();
  }

  clearsign(text: string, extra: string[] = []): string {
    const r = this.run(['--local-user', emailOf[this.person], ...extra, '--clearsign'], text);
    if (r.code !== 0) throw new Error(`gpg clearsign failed: ${r.stderr}`);
    return r.stdout.toString();
  }

  /** Decrypts armored data; `status` carries GnuPG's machine-readable lines (GOODSIG, VALIDSIG …). */
  decrypt(armored: string): GpgResult {
    return this.run(['--decrypt'], armored);
  }

  verify(data: Buffer | string): GpgResult {
    return this.run(['--verify'], data);
  }

  dispose(): void {
    rmSync(this.home, { recursive: true, force: true });
  }
}
