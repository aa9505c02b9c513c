// Shared bits of the benchmark: statistics, the bench configuration, cached member keys, reports.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as openpgp from 'openpgp';

export const quick = process.env.VMTD_BENCH_QUICK === '1';

/** Wall-clock milliseconds, comparable across the bench's processes. */
export const wall = (): number => Date.now();

export function sorted(xs: number[]): number[] {
  return [...xs].sort((a, b) => a - b);
}

/** Nearest-rank percentile (p in 0..100); NaN for no data. */
export function pct(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = sorted(xs);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

export const median = (xs: number[]): number => pct(xs, 50);

/**
 * Percentile over values some of which are only lower bounds (work not finished when the window
 * closed): returns the value and whether it is such a bound (print it as ">= x").
 */
export function censoredPct(done: number[], unfinishedLowerBounds: number[], p: number): { value: number; censored: boolean } {
  const all = [...done.map((v) => ({ v, c: false })), ...unfinishedLowerBounds.map((v) => ({ v, c: true }))].sort((a, b) => a.v - b.v);
  if (all.length === 0) return { value: NaN, censored: false };
  const at = all[Math.min(all.length - 1, Math.max(0, Math.ceil((p / 100) * all.length) - 1))]!;
  // A censored value at or below the rank means the true percentile is at least that value.
  const anyCensoredBelow = all.slice(0, all.indexOf(at) + 1).some((x) => x.c);
  return { value: at.v, censored: at.c || anyCensoredBelow };
}

export const ms = (v: number, digits = 0): string => (Number.isFinite(v) ? v.toFixed(digits) : 'n/a');
export const mb = (bytes: number): string => (bytes / (1024 * 1024)).toFixed(0);

// --- keys, generated once and cached under bench/.cache/ (git-ignored) ---

const benchDir = fileURLToPath(new URL('../../bench/', import.meta.url));
export const cacheDir = join(benchDir, '.cache');

export interface KeyCache {
  /** Armored public keys, cv25519 (ed25519 primary), user ID ecc-N@bench.example. */
  ecc: string[];
  /** Armored public keys, RSA-3072, user ID rsa-N@bench.example. */
  rsa: string[];
}

export const ECC_KEYS = 200;
export const RSA_KEYS = 8;

/** Member keys for the relay figures; generated on the first run (RSA-3072 takes a while), then read. */
export async function memberKeys(log: (s: string) => void): Promise<KeyCache> {
  const file = join(cacheDir, 'member-keys.json');
  let cache: KeyCache = { ecc: [], rsa: [] };
  if (existsSync(file)) cache = JSON.parse(readFileSync(file, 'utf8')) as KeyCache;
  if (cache.ecc.length >= ECC_KEYS && cache.rsa.length >= RSA_KEYS) return cache;
  const t0 = wall();
  for (let i = cache.ecc.length; i < ECC_KEYS; i++) {
    const { publicKey } = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: `ECC ${i}`, email: `ecc-${i}@bench.example` }], format: 'armored' });
    cache.ecc.push(publicKey);
  }
  for (let i = cache.rsa.length; i < RSA_KEYS; i++) {
    const { publicKey } = await openpgp.generateKey({ type: 'rsa', rsaBits: 3072, userIDs: [{ name: `RSA ${i}`, email: `rsa-${i}@bench.example` }], format: 'armored' });
    cache.rsa.push(publicKey);
  }
  mkdirSync(cacheDir, { recursive: true });
  writeFileSync(file, JSON.stringify(cache));
  log(`generated member keys (${ECC_KEYS} cv25519, ${RSA_KEYS} RSA-3072) in ${((wall() - t0) / 1000).toFixed(1)} s, cached in ${file}`);
  return cache;
}

// --- the daemon's configuration for the bench ---

export interface BenchConfigOptions {
  /** Coordinators: the first two member keys. */
  coordinators: number;
  /** Contacts of project libfoo (a report with a `Project: libfoo` line gets them too). */
  projectContacts: number;
  maxBacklog?: number;
  stakeholder?: boolean;
}

/** Writes the bench config (keys from the cache as files) into `dir`; returns the YAML file's path. */
export function writeBenchConfig(dir: string, keys: KeyCache, o: BenchConfigOptions): string {
  const contact = (i: number, role: string): string => {
    const file = join(dir, `${role}-${i}.asc`);
    writeFileSync(file, keys.ecc[i]!);
    return `{ name: ${role} ${i}, email: ecc-${i}@bench.example, key: ${file} }`;
  };
  const coordinators = Array.from({ length: o.coordinators }, (_, i) => `  - ${contact(i, 'coordinator')}`);
  const contacts = Array.from({ length: o.projectContacts }, (_, i) => `      - ${contact(o.coordinators + i, 'contact')}`);
  let stakeholder = '';
  if (o.stakeholder) {
    const file = join(dir, 'distros.asc');
    writeFileSync(file, keys.ecc[199]!);
    stakeholder = `stakeholders:\n  - { id: distros, name: linux-distros, email: ecc-199@bench.example, key: ${file}, noticeDays: 7, maxDays: 14, subjectPrefix: "[vs] " }\n`;
  }
  const yaml =
    `instance: { name: Bench Security Team, domain: example.org, caseIdPrefix: SEC, dataDir: ${dir}/data, publicDir: ${dir}/public }\n` +
    `smtp: { host: 127.0.0.1, port: 0, maxBacklog: ${o.maxBacklog ?? 2000} }\n` +
    `delivery: { transport: maildir, maildir: ${dir}/outgoing }\n` +
    `log: { level: silent }\n` +
    // Every bench report opens a case: the opening limits (10 per sender, 200 in all per hour) are lifted.
    `policy: { ackPerSenderPerHour: 1000, casesPerSenderPerHour: 1000000, casesPerHour: 1000000 }\n` +
    (coordinators.length ? `coordinators:\n${coordinators.join('\n')}\n` : '') +
    (contacts.length ? `projects:\n  - id: libfoo\n    name: libfoo\n    contacts:\n${contacts.join('\n')}\n` : '') +
    stakeholder;
  const file = join(dir, 'vmtd.yaml');
  writeFileSync(file, yaml);
  return file;
}

// --- reports ---

/** A plaintext MIME entity of about `textBytes` of text, optionally naming project libfoo and with an attachment. */
export function reportEntity(textBytes: number, opts: { project?: boolean; attachment?: Buffer } = {}): string {
  const para = 'The parser reads the length field before checking it against the buffer, so a crafted packet overflows the heap. ';
  let text = opts.project ? 'Project: libfoo\r\n\r\n' : '';
  while (text.length < textBytes) text += para + (text.length % 1000 < para.length ? '\r\n' : '');
  text = text.slice(0, textBytes);
  if (!opts.attachment) return `Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n${text}\r\n`;
  const b64 = opts.attachment.toString('base64').replace(/.{76}/g, '$&\r\n');
  return (
    'Content-Type: multipart/mixed; boundary="mix-b"\r\n\r\n--mix-b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n' +
    `${text}\r\n--mix-b\r\nContent-Type: application/octet-stream; name="poc.bin"\r\nContent-Disposition: attachment; filename="poc.bin"\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64}\r\n--mix-b--\r\n`
  );
}

/**
 * A report entity that makes a PGP/MIME message of about `bytes` on the wire: a 20 KB text naming
 * project libfoo, plus two binary attachments (a core dump and a trace) when `bytes` is over 100 KB;
 * a text alone (naming libfoo) below that.
 */
export function sizedEntity(bytes: number): string {
  // base64 inside, then armor outside: each grows the data by 4/3 plus line ends (~1.39 in all each way).
  const payload = Math.floor(bytes / 1.39 / 1.39) - 20 * 1024;
  if (payload < 48 * 1024) return reportEntity(Math.max(1000, Math.floor(bytes / 1.39) - 600), { project: true });
  const text = reportEntity(20 * 1024, { project: true }).split('\r\n\r\n').slice(1).join('\r\n\r\n');
  const a = randomBytes(Math.floor(payload * 0.7));
  const b = randomBytes(payload - a.length);
  const b64 = (x: Buffer): string => x.toString('base64').replace(/.{76}/g, '$&\r\n');
  return (
    'Content-Type: multipart/mixed; boundary="big-b"\r\n\r\n--big-b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n' +
    `${text}\r\n` +
    `--big-b\r\nContent-Type: application/octet-stream; name="core.dump"\r\nContent-Disposition: attachment; filename="core.dump"\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64(a)}\r\n` +
    `--big-b\r\nContent-Type: application/x-pcap; name="trace.pcap"\r\nContent-Disposition: attachment; filename="trace.pcap"\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64(b)}\r\n--big-b--\r\n`
  );
}

const teamKeys = new Map<string, Promise<openpgp.PublicKey>>();

/**
 * Encrypts a report entity to the team key (armored, CRLF). Each message sent needs its own
 * encryption: vmtd refuses a ciphertext it has already decrypted for another sender or case
 * (decryption-oracle guard), so a reused one would be quarantined instead of relayed.
 */
export async function encryptReport(entity: string, teamKeyArmored: string): Promise<string> {
  let key = teamKeys.get(teamKeyArmored);
  if (!key) teamKeys.set(teamKeyArmored, (key = openpgp.readKey({ armoredKey: teamKeyArmored })));
  const armored = await openpgp.encrypt({ message: await openpgp.createMessage({ text: entity }), encryptionKeys: await key, config: { aeadProtect: false, v6Keys: false } });
  return armored.replace(/\r?\n/g, '\r\n');
}

/** An RFC 3156 PGP/MIME report around `armored`, with its own sender, subject and Message-ID. */
export function pgpMimeReport(armored: string, tag: string, i: number): Buffer {
  return Buffer.from(
    `From: Reporter ${i} <r${tag}${i}@reporter.example>\r\nTo: security@example.org\r\nSubject: report ${tag} ${i}\r\n` +
      `Date: ${new Date().toUTCString()}\r\nMessage-ID: <bench-${tag}-${i}-${process.pid}@reporter.example>\r\nMIME-Version: 1.0\r\n` +
      'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="enc-b"\r\n\r\n' +
      'This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)\r\n--enc-b\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n\r\n' +
      `--enc-b\r\nContent-Type: application/octet-stream; name="encrypted.asc"\r\n\r\n${armored.trimEnd()}\r\n\r\n--enc-b--\r\n`,
  );
}
