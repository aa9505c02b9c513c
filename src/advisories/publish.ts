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
import { armorBlock } from '../pgp/encode.js';
import { csafBaseUrl, csafDistributionPath, CSAF_TLP_DIR, providerMetadata, toCsaf, type CsafOptions } from './csaf.js';
import { toCveRecords } from './cve.js';
import { toOsv } from './osv.js';
import { indexEntry, renderFeed, renderIndex, renderPage, type IndexEntry } from './render-html.js';
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
}

/** The CSAF provider's folder in publicDir (§7.1.20: provider-metadata.json; §7.1.11: TLP/year folders). */
export const CSAF_DIR = '.well-known/csaf';

/** A detached, armored signature of `data` by the team key (CSAF requirement 19: `FILE.asc`). */
async function detachedSignature(data: string, key: openpgp.PrivateKey, date: Date): Promise<string> {
  const message = await openpgp.createMessage({ binary: Buffer.from(data, 'utf8') });
  const sig = await openpgp.sign({ message, signingKeys: key, detached: true, format: 'binary', date, config: { v6Keys: false, aeadProtect: false } });
  return armorBlock('SIGNATURE', sig);
}

/**
 * Publishes one advisory into `publicDir` (created if missing): `ID.html`, `ID.osv.json`, one
 * `CVE-….json` per CVE, `ID.csaf.json`, then `index.html`, `feed.xml`, `style.css` and the
 * manifest, rebuilt from every advisory published there (re-publishing an ID replaces its entry,
 * e.g. for errata). The CSAF document is also written in the provider layout,
 * `.well-known/csaf/white/YEAR/id.json` with `.sha256`/`.sha512` (and `.asc` given the team key),
 * and `white/index.txt`, `white/changes.csv` are rebuilt; with a known site URL (`siteUrl` or
 * `site`) `.well-known/csaf/provider-metadata.json` too. With `site`, the team's well-known files
 * are rewritten (site.ts). Directories are made 0755 and every file 0644, whatever the umask.
 * Returns the absolute paths written. Publications into one directory must not run concurrently.
 */
export async function publishAdvisory(adv: Advisory, publicDir: string, opts: PublishOptions = {}): Promise<string[]> {
  // The IDs become file names: refuse anything that parseAdvisory would not have accepted.
  if (!SAFE_NAME.test(adv.id)) throw new Error(`advisory id ${JSON.stringify(adv.id)} is not a safe file name`);
  for (const v of adv.vulnerabilities) {
    if (!/^CVE-\d{4}-\d{4,19}$/.test(v.cveId)) throw new Error(`${JSON.stringify(v.cveId)} is not a CVE ID`);
  }
  const dir = resolve(publicDir);
  await mkdir(dir, { recursive: true, mode: PUBLIC_DIR_MODE });
  await chmod(dir, PUBLIC_DIR_MODE);
  const written: string[] = [];
  const put = async (name: string, data: string | Buffer): Promise<void> => {
    const p = join(dir, name);
    await writeAtomic(p, data);
    written.push(p);
  };

  await put(`${adv.id}.html`, renderPage(adv, opts));
  await put(`${adv.id}.osv.json`, `${JSON.stringify(toOsv(adv, opts), null, 2)}\n`);
  for (const { cveId, record } of toCveRecords(adv, opts)) {
    await put(`${cveId}.json`, `${JSON.stringify(record, null, 2)}\n`);
  }
  const { site } = opts;
  const siteUrl = opts.siteUrl ?? site?.baseUrl;
  const publisher = opts.publisher ?? site?.publisher;
  const csaf = `${JSON.stringify(toCsaf(adv, { ...opts, ...(siteUrl ? { siteUrl } : {}), ...(publisher ? { publisher } : {}) }), null, 2)}\n`;
  await put(`${adv.id}.csaf.json`, csaf);
  const tlpDir = `${CSAF_DIR}/${CSAF_TLP_DIR}`;
  const docPath = `${tlpDir}/${csafDistributionPath(adv).slice(CSAF_TLP_DIR.length + 1)}`;
  for (const d of ['.well-known', CSAF_DIR, tlpDir, dirname(docPath)]) {
    await mkdir(join(dir, d), { recursive: true, mode: PUBLIC_DIR_MODE });
    await chmod(join(dir, d), PUBLIC_DIR_MODE);
  }
  const name = docPath.slice(docPath.lastIndexOf('/') + 1);
  await put(docPath, csaf);
  await put(`${docPath}.sha256`, `${createHash('sha256').update(csaf).digest('hex')}  ${name}\n`);
  await put(`${docPath}.sha512`, `${createHash('sha512').update(csaf).digest('hex')}  ${name}\n`);
  if (site) await put(`${docPath}.asc`, await detachedSignature(csaf, site.team.privateKey, site.now));

  const entries = (await readManifest(dir)).filter((e) => e.id !== adv.id);
  entries.push(indexEntry(adv));
  await put('index.html', renderIndex(entries, opts));
  await put('feed.xml', renderFeed(entries, opts));
  // A custom templates directory made before style.css existed lacks it: fall back to ours.
  const customCss = opts.templatesDir ? join(opts.templatesDir, 'style.css') : undefined;
  const css = await readFile(customCss && existsSync(customCss) ? customCss : join(defaultTemplatesDir(), 'style.css'));
  await put('style.css', css);
  await put(MANIFEST_FILE, `${JSON.stringify({ format: MANIFEST_FORMAT, advisories: entries }, null, 2)}\n`);

  // The provider's listings (§7.1.13, §7.1.14): the documents present, newest change first.
  const docs = entries
    .map((e) => ({ path: csafDistributionPath(e).slice(CSAF_TLP_DIR.length + 1), modified: `${e.modified}T00:00:00.000Z` }))
    .filter((d) => existsSync(join(dir, tlpDir, d.path)))
    .sort((a, b) => (a.modified < b.modified ? 1 : a.modified > b.modified ? -1 : a.path < b.path ? -1 : 1));
  await put(`${tlpDir}/index.txt`, docs.map((d) => `${d.path}\n`).join(''));
  await put(`${tlpDir}/changes.csv`, docs.map((d) => `"${d.path}","${d.modified}"\n`).join(''));
  const base = csafBaseUrl(siteUrl);
  if (base && publisher) {
    const lastUpdated = docs[0]?.modified ?? `${adv.date}T00:00:00.000Z`;
    const openpgpKey = site ? { fingerprint: site.team.fingerprint, url: new URL('team.asc', site.baseUrl).href } : undefined;
    const meta = providerMetadata({ csafBaseUrl: base, publisher, lastUpdated, ...(openpgpKey ? { openpgpKey } : {}) });
    await put(`${CSAF_DIR}/provider-metadata.json`, `${JSON.stringify(meta, null, 2)}\n`);
  }
  if (site) written.push(...(await writeTeamSite(dir, site)));
  return written;
}
