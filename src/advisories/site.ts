/**
 * The team's well-known files in the public directory: `security.txt` (RFC 9116, clear-signed by
 * the team key), the team key as `team.asc` and in Web Key Directory layout (direct method), and
 * a default `policy.txt` the team may replace. Written at daemon start and by every publication;
 * security.txt is renewed by the scheduler's pass before it expires (renewSecurityTxt).
 * Decisions: docs/advisory-format.md, "security.txt and WKD".
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type * as openpgp from 'openpgp';
import type { Config } from '../config/types.js';
import { clearsign } from '../pgp/encode.js';
import { csafBaseUrl, providerMetadata, type CsafPublisher } from './csaf.js';

/** Same modes as the advisory site: readable by the web server whatever the umask. */
const DIR_MODE = 0o755;
const FILE_MODE = 0o644;

/** Everything the well-known files are made from. */
export interface SiteOptions {
  /** the public URL of publicDir, ending with `/` (publicDir is served as the host's document root) */
  baseUrl: string;
  /** the intake address, e.g. security@example.org */
  contact: string;
  /** the team, as CSAF publisher */
  publisher: CsafPublisher;
  team: { privateKey: openpgp.PrivateKey; publicKey: openpgp.PublicKey; fingerprint: string };
  /** generation time: the signature's date, and Expires is EXPIRES_DAYS after it */
  now: Date;
  /** embargo limit stated in the default policy.txt */
  maxEmbargoDays?: number;
}

/** RFC 9116 §2.5.5 recommends an Expires less than a year ahead. */
export const EXPIRES_DAYS = 364;

/** The public URL of publicDir: `instance.publicUrl`, else https://DOMAIN/ (always ending with `/`). */
export function publicBaseUrl(instance: Pick<Config['instance'], 'domain'> & { publicUrl?: string }): string {
  const u = instance.publicUrl ?? `https://${instance.domain}/`;
  return u.endsWith('/') ? u : `${u}/`;
}

/** The team as CSAF publisher: its name, the origin of its public URL, its intake address. */
export function teamPublisher(instance: Config['instance']): CsafPublisher {
  const contact = `${instance.intake}@${instance.domain}`;
  return { name: instance.name, namespace: new URL(publicBaseUrl(instance)).origin, category: 'coordinator', contactDetails: contact };
}

/** The site options of a running instance. */
export function siteOptions(
  instance: Config['instance'],
  team: SiteOptions['team'],
  now: Date,
  maxEmbargoDays?: number,
): SiteOptions {
  const baseUrl = publicBaseUrl(instance);
  return {
    baseUrl,
    contact: `${instance.intake}@${instance.domain}`,
    publisher: teamPublisher(instance),
    team,
    now,
    ...(maxEmbargoDays !== undefined ? { maxEmbargoDays } : {}),
  };
}

const ZBASE32 = 'ybndrfg8ejkmcpqxot1uwisza345h769';

/** z-base-32 (the encoding the WKD draft uses; most significant bit first, no padding). */
export function zbase32(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const b of bytes) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += ZBASE32[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += ZBASE32[(buffer << (5 - bits)) & 31];
  return out;
}

/**
 * The WKD hashed user ID of a local part (draft-koch-openpgp-webkey-service §3.1): z-base-32 of
 * the SHA-1 of the local part mapped to lower case (ASCII A-Z only, as GnuPG does).
 */
export function wkdHash(localPart: string): string {
  const lower = localPart.replace(/[A-Z]/g, (c) => c.toLowerCase());
  return zbase32(createHash('sha1').update(lower, 'utf8').digest());
}

/** The security.txt fields (RFC 9116 §2.5), unsigned; the order is the RFC's examples'. */
export function securityTxtFields(o: Pick<SiteOptions, 'baseUrl' | 'contact' | 'now'>): string {
  const expires = new Date(o.now.getTime() + EXPIRES_DAYS * 86_400_000);
  const url = (p: string): string => new URL(p, o.baseUrl).href;
  return [
    '# The security team of this site: report vulnerabilities by email, encrypted to the key below.',
    `Contact: mailto:${o.contact}`,
    `Expires: ${expires.toISOString().replace(/\.\d{3}Z$/, 'Z')}`,
    `Encryption: ${url('team.asc')}`,
    `Policy: ${url('policy.txt')}`,
    'Preferred-Languages: en',
    `Canonical: ${url('.well-known/security.txt')}`,
    `CSAF: ${url('.well-known/csaf/provider-metadata.json')}`,
    '',
  ].join('\n');
}

function defaultPolicy(o: SiteOptions): string {
  const days = o.maxEmbargoDays !== undefined ? `at most ${o.maxEmbargoDays} days` : 'as short as a fix allows';
  return [
    `Vulnerability disclosure policy of ${o.publisher.name}`,
    '',
    `Report security problems to ${o.contact}, preferably encrypted to our key`,
    `(${new URL('team.asc', o.baseUrl).href}, fingerprint ${o.team.fingerprint}).`,
    'You get an acknowledgement naming your case ID within minutes.',
    '',
    `We coordinate a fix and a disclosure date with you and the affected projects; embargoes last ${days}.`,
    'Advisories are published on this site (HTML, Atom, OSV, CVE JSON and CSAF 2.0) and credit the reporter unless asked not to.',
    '',
  ].join('\n');
}

async function writeAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, data, { mode: FILE_MODE });
  await chmod(tmp, FILE_MODE);
  await rename(tmp, path);
}

async function dir(path: string): Promise<void> {
  await mkdir(path, { recursive: true, mode: DIR_MODE });
  await chmod(path, DIR_MODE);
}

/**
 * Writes `team.asc`, `.well-known/openpgpkey/hu/HASH` (binary key) and `.well-known/openpgpkey/policy`
 * (empty), `policy.txt` and `.well-known/csaf/provider-metadata.json` (each only when absent: the
 * team's own policy is kept, publication keeps the metadata's date current) and
 * `.well-known/security.txt`, clear-signed by the team key. Directories 0755, files 0644.
 * Returns the absolute paths written.
 */
export async function writeTeamSite(publicDir: string, o: SiteOptions): Promise<string[]> {
  const root = resolve(publicDir);
  const written: string[] = [];
  const put = async (rel: string, data: string | Uint8Array): Promise<void> => {
    const p = join(root, rel);
    await writeAtomic(p, data);
    written.push(p);
  };
  for (const d of [root, join(root, '.well-known'), join(root, '.well-known/openpgpkey'), join(root, '.well-known/openpgpkey/hu')]) await dir(d);

  await put('team.asc', o.team.publicKey.armor());
  const local = o.contact.slice(0, o.contact.lastIndexOf('@'));
  await put(`.well-known/openpgpkey/hu/${wkdHash(local)}`, o.team.publicKey.write());
  await put('.well-known/openpgpkey/policy', '');
  if (!existsSync(join(root, 'policy.txt'))) await put('policy.txt', defaultPolicy(o));
  // security.txt names it (CSAF §7.1.8); publication rewrites it with the newest document's date.
  const csafBase = csafBaseUrl(o.baseUrl)!;
  if (!existsSync(join(root, '.well-known/csaf/provider-metadata.json'))) {
    await dir(join(root, '.well-known/csaf'));
    const openpgpKey = { fingerprint: o.team.fingerprint, url: new URL('team.asc', o.baseUrl).href };
    const meta = providerMetadata({ csafBaseUrl: csafBase, publisher: o.publisher, lastUpdated: o.now.toISOString(), openpgpKey });
    await put('.well-known/csaf/provider-metadata.json', `${JSON.stringify(meta, null, 2)}\n`);
  }
  await put('.well-known/security.txt', await clearsign(securityTxtFields(o), o.team.privateKey, o.now));
  return written;
}

/** The Expires of a security.txt (signed or not), or null when it has none that parses. */
export function securityTxtExpires(text: string): Date | null {
  const m = /^Expires:\s*(\S+)\s*$/m.exec(text);
  if (!m) return null;
  const d = new Date(m[1]!);
  return Number.isNaN(d.getTime()) ? null : d;
}

/**
 * Whether security.txt must be written anew: it is missing or has no Expires, or less than a third
 * of its validity (EXPIRES_DAYS) is left. A third leaves months for a pass to succeed (a public
 * directory briefly unwritable, a daemon down for weeks) long before readers see it expired, and
 * renewing at most about three times a year keeps the file stable for mirrors. Pure.
 */
export function securityTxtRenewalDue(expires: Date | null, now: Date): boolean {
  if (!expires) return true;
  return expires.getTime() - now.getTime() < (EXPIRES_DAYS * 86_400_000) / 3;
}

/**
 * Renews `publicDir/.well-known/security.txt` (new Expires, clear-signed again) when
 * securityTxtRenewalDue says so; else leaves it untouched. Returns whether it was written.
 */
export async function renewSecurityTxt(publicDir: string, o: SiteOptions): Promise<boolean> {
  const path = join(resolve(publicDir), '.well-known/security.txt');
  const current = await readFile(path, 'utf8').catch(() => null);
  if (!securityTxtRenewalDue(current === null ? null : securityTxtExpires(current), o.now)) return false;
  await dir(resolve(publicDir));
  await dir(join(resolve(publicDir), '.well-known'));
  await writeAtomic(path, await clearsign(securityTxtFields(o), o.team.privateKey, o.now));
  return true;
}
