/**
 * The static site: one page per advisory, an index (newest first) and an Atom feed, from
 * templates/advisory/page.html, index.html and feed.xml. The engine escapes every value.
 */
import { createHash } from 'node:crypto';
import { renderTemplateFile } from './templates.js';
import type { Advisory } from './types.js';
import { advisoryView, DEFAULT_TEAM_NAME, modifiedDate, pageFile, paragraphs, reflow, type RenderOptions } from './view.js';

/** What the index and the feed need to know of each published advisory (kept in the manifest). */
export interface IndexEntry {
  id: string;
  title: string;
  date: string;
  modified: string;
  kind: Advisory['kind'];
  class: Advisory['class'];
  cves: string[];
  summary: string;
}

/** The manifest entry for an advisory. */
export function indexEntry(adv: Advisory): IndexEntry {
  return {
    id: adv.id,
    title: adv.title,
    date: adv.date,
    modified: modifiedDate(adv),
    kind: adv.kind,
    class: adv.class,
    cves: adv.vulnerabilities.map((v) => v.cveId),
    summary: paragraphs(reflow(adv.description))[0] ?? '',
  };
}

/** Newest first: by date, then by ID (later IDs first) so same-day advisories keep a stable order. */
export function newestFirst(entries: readonly IndexEntry[]): IndexEntry[] {
  return [...entries].sort((a, b) => (a.date !== b.date ? (a.date < b.date ? 1 : -1) : b.id.localeCompare(a.id, 'en', { numeric: true })));
}

/** The advisory page. Guarantees: HTML5 document, every YAML value escaped, no script. */
export function renderPage(adv: Advisory, opts: RenderOptions = {}): string {
  return renderTemplateFile('page.html', advisoryView(adv, opts), opts.templatesDir);
}

/**
 * The index page listing `entries` newest first, naming the team; with a site URL the page
 * links and the feed link are absolute (the index may be mirrored or mailed around).
 */
export function renderIndex(entries: readonly IndexEntry[], opts: RenderOptions = {}): string {
  const base = siteBase(opts);
  const list = newestFirst(entries).map((e) => ({
    ...e,
    page: base ? `${base}${pageFile(e)}` : pageFile(e),
    isNote: e.kind === 'security-note',
    updated: e.modified !== e.date ? e.modified : null,
  }));
  const view = { entries: list, teamName: opts.teamName ?? DEFAULT_TEAM_NAME, feedHref: base ? `${base}feed.xml` : 'feed.xml' };
  return renderTemplateFile('index.html', view, opts.templatesDir);
}

/** A stable urn:uuid for a name (SHA-1 based, RFC 4122 version 5 layout) when no site URL is known. */
export function nameUuid(name: string): string {
  const h = createHash('sha1').update(`vmtd-advisory:${name}`).digest();
  h[6] = ((h[6] ?? 0) & 0x0f) | 0x50;
  h[8] = ((h[8] ?? 0) & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

function siteBase(opts: RenderOptions): string | undefined {
  if (!opts.siteUrl) return undefined;
  return opts.siteUrl.endsWith('/') ? opts.siteUrl : `${opts.siteUrl}/`;
}

/**
 * The Atom feed (RFC 4287) of `entries`, newest first. Guarantees well-formed XML with every value
 * escaped. Ids are `urn:uuid`s derived from the advisory ID, whatever the site URL: an Atom id must
 * never change (§4.2.6), and a site that moves (instance.publicUrl) must not show every entry
 * again as new. Links (`self`, the index, each entry) are absolute with a site URL. An entry's
 * `updated` is its newest errata date; the author is the team.
 */
export function renderFeed(entries: readonly IndexEntry[], opts: RenderOptions = {}): string {
  const base = siteBase(opts);
  const sorted = newestFirst(entries);
  const stamp = (d: string): string => `${d}T00:00:00Z`;
  const updated = sorted.reduce((max, e) => (e.modified > max ? e.modified : max), '1970-01-01');
  const view = {
    feedId: `urn:uuid:${nameUuid('feed')}`,
    teamName: opts.teamName ?? DEFAULT_TEAM_NAME,
    updated: stamp(updated),
    selfHref: base ? `${base}feed.xml` : 'feed.xml',
    indexHref: base ? `${base}index.html` : 'index.html',
    entries: sorted.map((e) => ({
      ...e,
      entryId: `urn:uuid:${nameUuid(e.id)}`,
      href: base ? `${base}${pageFile(e)}` : pageFile(e),
      published: stamp(e.date),
      updated: stamp(e.modified),
    })),
  };
  return renderTemplateFile('feed.xml', view, opts.templatesDir);
}
