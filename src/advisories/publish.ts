/**
 * Publication into the public directory: the advisory page, the OSV, CVE and CSAF records, the
 * index and Atom feed rebuilt from a small manifest of everything published so far, the CSAF
 * provider directory under `.well-known/csaf/`, and (given the team key) the team's well-known
 * files (security.txt, WKD).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import * as openpgp from 'openpgp';
import { armorBlock, clearsign } from '../pgp/encode.js';
import { csafBaseUrl, csafDistributionPath, CSAF_TLP_DIR, providerMetadata, toCsaf, type CsafOptions } from './csaf.js';
import { toCveRecords } from './cve.js';
import { toOsv } from './osv.js';
import { indexEntry, newestFirst, renderFeed, renderIndex, renderPage, type IndexEntry } from './render-html.js';
import { defaultTemplatesDir } from './templates.js';
import type { Advisory } from './types.js';
import { writeTeamSite, type SiteOptions } from './site.js';

/** The manifest file in publicDir; the index and feed are rebuilt from it on every publication. */
export const MANIFEST_FILE = 'advisories.json';
const MANIFEST_FORMAT = 'vmtd-advisories/1';

const SAFE_NAME = /^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$/;

/**
 * The public site is for web servers and readers: the directory is 0755 and its files 0644,
 * whatever the process umask (systemd's UMask=0077 would make them 0700/0600, unreadable).
 */
export const PUBLIC_DIR_MODE = 0o755;
export const PUBLIC_FILE_MODE = 0o644;

/** Writes through a temporary file and a rename, so a reader never sees half a file; always 0644. */
async function writeAtomic(path: string, data: string | Buffer): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, data, { mode: PUBLIC_FILE_MODE });
  // The mode given at creation is masked by the umask, and an old file keeps its own: set it.
  await chmod(tmp, PUBLIC_FILE_MODE);
  await rename(tmp, path);
}

/**
 * Reads the manifest; an absent one is an empty site. Throws on a corrupt manifest rather than
 * silently dropping every earlier advisory from the index.
 */
export async function readManifest(publicDir: string): Promise<IndexEntry[]> {
  let text: string;
  try {
    text = await readFile(join(publicDir, MANIFEST_FILE), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const parsed = JSON.parse(text) as { format?: unknown; advisories?: unknown };
  if (parsed.format !== MANIFEST_FORMAT || !Array.isArray(parsed.advisories)) {
    throw new Error(`${join(publicDir, MANIFEST_FILE)} is not a ${MANIFEST_FORMAT} manifest; refusing to rebuild the index from it`);
  }
  return parsed.advisories as IndexEntry[];
}

export interface PublishOptions extends CsafOptions {
  /** the team's site: enables security.txt, WKD, provider-metadata.json and signed CSAF files */
  site?: SiteOptions;
  /**
   * The advisory text as mailed: published clear-signed by the team key as `ID.txt.asc` (needs
   * `site`, which holds the key), and linked from the page.
   */
  text?: string;
}

/** The CSAF provider's folder in publicDir (§7.1.20: provider-metadata.json; §7.1.11: TLP/year folders). */
export const CSAF_DIR = '.well-known/csaf';

/** A detached, armored signature of `data` by the team key (CSAF requirement 19: `FILE.asc`). */
async function detachedSignature(data: string, key: openpgp.PrivateKey, date: Date): Promise<string> {
  const message = await openpgp.createMessage({ binary: Buffer.from(data, 'utf8') });
  const sig = await openpgp.sign({ message, signingKeys: key, detached: true, format: 'binary', date, config: { v6Keys: false, aeadProtect: false } });
  return armorBlock('SIGNATURE', sig);
}

/** Makes a public directory: 0755 whatever the umask. */
async function publicDirectory(path: string): Promise<void> {
  await mkdir(path, { recursive: true, mode: PUBLIC_DIR_MODE });
  await chmod(path, PUBLIC_DIR_MODE);
}

type Put = (name: string, data: string | Buffer) => Promise<void>;

/** A writer into `dir` that records the absolute paths written. */
function writer(dir: string, written: string[]): Put {
  return async (name, data) => {
    const p = join(dir, name);
    await writeAtomic(p, data);
    written.push(p);
  };
}

/** The current content of a public file, or undefined. */
async function current(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

function checkNames(adv: Advisory): void {
  // The IDs become file names: refuse anything that parseAdvisory would not have accepted.
  if (!SAFE_NAME.test(adv.id)) throw new Error(`advisory id ${JSON.stringify(adv.id)} is not a safe file name`);
  for (const v of adv.vulnerabilities) {
    if (!/^CVE-\d{4}-\d{4,19}$/.test(v.cveId)) throw new Error(`${JSON.stringify(v.cveId)} is not a CVE ID`);
  }
}

/** The options every renderer sees, with the site's URL and publisher when only `site` names them. */
function effective(opts: PublishOptions): PublishOptions {
  const siteUrl = opts.siteUrl ?? opts.site?.baseUrl;
  const publisher = opts.publisher ?? opts.site?.publisher;
  const teamName = opts.teamName ?? opts.site?.publisher.name;
  return { ...opts, ...(siteUrl ? { siteUrl } : {}), ...(publisher ? { publisher } : {}), ...(teamName ? { teamName } : {}), signedText: Boolean(opts.text && opts.site) };
}

/** One advisory's own files: page, OSV, CVE and CSAF records (also in the provider layout), `ID.txt.asc`. */
async function writeAdvisoryFiles(adv: Advisory, dir: string, o: PublishOptions, put: Put): Promise<void> {
  checkNames(adv);
  await put(`${adv.id}.html`, renderPage(adv, o));
  await put(`${adv.id}.osv.json`, `${JSON.stringify(toOsv(adv, o), null, 2)}\n`);
  for (const { cveId, record } of toCveRecords(adv, o)) {
    await put(`${cveId}.json`, `${JSON.stringify(record, null, 2)}\n`);
  }
  const csaf = `${JSON.stringify(toCsaf(adv, o), null, 2)}\n`;
  await put(`${adv.id}.csaf.json`, csaf);
  const tlpDir = `${CSAF_DIR}/${CSAF_TLP_DIR}`;
  const docPath = `${tlpDir}/${csafDistributionPath(adv).slice(CSAF_TLP_DIR.length + 1)}`;
  for (const d of ['.well-known', CSAF_DIR, tlpDir, dirname(docPath)]) await publicDirectory(join(dir, d));
  const name = docPath.slice(docPath.lastIndexOf('/') + 1);
  const sameDoc = (await current(join(dir, docPath))) === csaf;
  await put(docPath, csaf);
  await put(`${docPath}.sha256`, `${createHash('sha256').update(csaf).digest('hex')}  ${name}\n`);
  await put(`${docPath}.sha512`, `${createHash('sha512').update(csaf).digest('hex')}  ${name}\n`);
  const { site } = o;
  // A signature over unchanged data is kept as it is (OpenPGP signatures are salted, so signing
  // again would change the file): a rebuild of unchanged data leaves the signature files identical.
  if (site && !(sameDoc && existsSync(join(dir, `${docPath}.asc`)))) await put(`${docPath}.asc`, await detachedSignature(csaf, site.team.privateKey, site.now));
  if (site && o.text !== undefined) {
    // The mailed text, clear-signed: a reader checks it with gpg --verify and the team key.
    const file = `${adv.id}.txt.asc`;
    const old = await current(join(dir, file));
    const signed = await clearsign(o.text, site.team.privateKey, site.now);
    const prefix = (s: string): string => s.slice(0, s.lastIndexOf('\n-----BEGIN PGP SIGNATURE-----\n'));
    if (old === undefined || prefix(old) !== prefix(signed)) await put(file, signed);
  }
}

/** The index, feed, stylesheet, manifest and the CSAF listings (and provider metadata), from `entries`. */
async function writeListings(dir: string, entries: IndexEntry[], o: PublishOptions, put: Put): Promise<void> {
  await put('index.html', renderIndex(entries, o));
  await put('feed.xml', renderFeed(entries, o));
  // A custom templates directory made before style.css existed lacks it: fall back to ours.
  const customCss = o.templatesDir ? join(o.templatesDir, 'style.css') : undefined;
  const css = await readFile(customCss && existsSync(customCss) ? customCss : join(defaultTemplatesDir(), 'style.css'));
  await put('style.css', css);
  await put(MANIFEST_FILE, `${JSON.stringify({ format: MANIFEST_FORMAT, advisories: newestFirst(entries) }, null, 2)}\n`);

  // The provider's listings (§7.1.13, §7.1.14): the documents present, newest change first.
  const tlpDir = `${CSAF_DIR}/${CSAF_TLP_DIR}`;
  await publicDirectory(join(dir, tlpDir));
  const docs = entries
    .map((e) => ({ path: csafDistributionPath(e).slice(CSAF_TLP_DIR.length + 1), modified: `${e.modified}T00:00:00.000Z` }))
    .filter((d) => existsSync(join(dir, tlpDir, d.path)))
    .sort((a, b) => (a.modified < b.modified ? 1 : a.modified > b.modified ? -1 : a.path < b.path ? -1 : 1));
  await put(`${tlpDir}/index.txt`, docs.map((d) => `${d.path}\n`).join(''));
  await put(`${tlpDir}/changes.csv`, docs.map((d) => `"${d.path}","${d.modified}"\n`).join(''));
  const base = csafBaseUrl(o.siteUrl);
  const newest = docs[0]?.modified ?? entries.map((e) => `${e.modified}T00:00:00.000Z`).sort().at(-1);
  if (base && o.publisher && newest) {
    const openpgpKey = o.site ? { fingerprint: o.site.team.fingerprint, url: new URL('team.asc', o.site.baseUrl).href } : undefined;
    const meta = providerMetadata({ csafBaseUrl: base, publisher: o.publisher, lastUpdated: newest, ...(openpgpKey ? { openpgpKey } : {}) });
    await put(`${CSAF_DIR}/provider-metadata.json`, `${JSON.stringify(meta, null, 2)}\n`);
  }
}

/**
 * Publishes one advisory into `publicDir` (created if missing): `ID.html`, `ID.osv.json`, one
 * `CVE-….json` per CVE, `ID.csaf.json`, then `index.html`, `feed.xml`, `style.css` and the
 * manifest, rebuilt from every advisory published there (re-publishing an ID replaces its entry,
 * e.g. for errata). The CSAF document is also written in the provider layout,
 * `.well-known/csaf/white/YEAR/id.json` with `.sha256`/`.sha512` (and `.asc` given the team key),
 * and `white/index.txt`, `white/changes.csv` are rebuilt; with a known site URL (`siteUrl` or
 * `site`) `.well-known/csaf/provider-metadata.json` too. With `site`, the team's well-known files
 * are rewritten (site.ts), and with `text` too, `ID.txt.asc` (the text clear-signed). Directories
 * are made 0755 and every file 0644, whatever the umask. Returns the absolute paths written.
 * Publications into one directory must not run concurrently.
 */
export async function publishAdvisory(adv: Advisory, publicDir: string, opts: PublishOptions = {}): Promise<string[]> {
  checkNames(adv);
  const dir = resolve(publicDir);
  await publicDirectory(dir);
  const written: string[] = [];
  const put = writer(dir, written);
  const o = effective(opts);
  await writeAdvisoryFiles(adv, dir, o, put);
  const entries = (await readManifest(dir)).filter((e) => e.id !== adv.id);
  entries.push(indexEntry(adv));
  await writeListings(dir, entries, o, put);
  if (o.site) written.push(...(await writeTeamSite(dir, o.site)));
  return written;
}

/** One advisory of a site rebuild, with its own render options (timeline, severity, text). */
export interface SiteAdvisory {
  advisory: Advisory;
  options?: Pick<PublishOptions, 'timeline' | 'severity' | 'text'>;
}

/**
 * Rewrites the whole site from `advisories` (as `vmtd publish --rebuild` does from the database):
 * each one's files, then the index, feed, manifest and CSAF listings once, then (with `site`) the
 * team's well-known files. Advisories the old manifest lists that are not given are kept in the
 * index (published by other means; their files are left alone); a corrupt manifest throws before
 * anything is written. Unchanged data gives byte-identical files, except security.txt (signed
 * anew, Expires a year from now). `progress` is told after each advisory. Returns the paths written.
 */
export async function rebuildSite(
  advisories: readonly SiteAdvisory[],
  publicDir: string,
  opts: PublishOptions = {},
  progress?: (done: number, total: number, id: string) => void,
): Promise<{ written: string[]; kept: string[] }> {
  const dir = resolve(publicDir);
  await publicDirectory(dir);
  const old = await readManifest(dir);
  const written: string[] = [];
  const put = writer(dir, written);
  const o = effective(opts);
  const ids = new Set(advisories.map((a) => a.advisory.id));
  const kept = old.filter((e) => !ids.has(e.id));
  const entries = [...kept];
  let done = 0;
  for (const a of advisories) {
    await writeAdvisoryFiles(a.advisory, dir, effective({ ...opts, ...a.options }), put);
    entries.push(indexEntry(a.advisory));
    progress?.(++done, advisories.length, a.advisory.id);
  }
  await writeListings(dir, entries, o, put);
  if (o.site) written.push(...(await writeTeamSite(dir, o.site)));
  return { written, kept: kept.map((e) => e.id) };
}
