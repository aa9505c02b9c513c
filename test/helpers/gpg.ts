// GnuPG as the users of vmtd run it: a throwaway GNUPGHOME per person, the real `gpg` binary.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

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

/** One person's GnuPG: their secret key and whatever public keys they were given. */
export class Gpg {
  readonly home: string;

  constructor(readonly person: Person) {
    this.home = mkdtempSync(join(tmpdir(), `vmtd-gpg-${person}-`));
    this.run(['--import', join(keysDir, `${person}.sec.asc`)]);
  }

  run(args: string[], input?: Buffer | string): GpgResult {
    const r = spawnSync('gpg', ['--batch', '--yes', '--no-tty', '--pinentry-mode', 'loopback', '--passphrase', '', '--trust-model', 'always', '--status-fd', '2', ...args], {
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
