// HTML page, index and Atom feed: well-formed, escaped, newest first; publication into publicDir.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import {
  MANIFEST_FILE,
  publishAdvisory,
  renderAdvisory,
  renderFeed,
  renderIndex,
  indexEntry,
} from '../../src/advisories/index.js';
import { checkMarkup, exampleYaml, fixture } from '../fixtures/advisories/support.js';
import { loadAdvisory } from '../fixtures/advisories/support.js';

const load = loadAdvisory;

function tmp(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'vmtd-site-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Live markup smuggled in from the YAML: a real element the templates never use, or an event
 * handler / javascript: URL inside a real tag. (Escaped text such as `&lt;img onerror=` is fine.)
 */
function activeMarkup(out: string): string[] {
  const tags = out.match(/<[^>]*>/g) ?? [];
  return tags.filter((tag) => /^<\/?(script|img|svg|iframe|marquee|b)\b/i.test(tag) || /\son\w+\s*=|javascript:/i.test(tag));
}

t.test('page: valid HTML5 skeleton, responsive, no script, content present', async (t) => {
  const html = renderAdvisory(load(exampleYaml), 'html');
  const { problems, elements } = checkMarkup(html, 'html');
  t.same(problems, [], 'well-formed');
  t.match(html, /^<!DOCTYPE html>\n<html lang="en">/);
  t.match(html, /<meta charset="utf-8">/);
  t.match(html, /<meta name="viewport" content="width=device-width, initial-scale=1">/);
  t.equal(elements.filter((e) => e === 'title').length, 1);
  t.equal(elements.filter((e) => e === 'h1').length, 1);
  t.notOk(elements.includes('script'), 'readable without JavaScript: no script at all');
  t.match(html, /<title>OSSA-2026-001: Unauthorized volume access through deleted volume attachments<\/title>/);
  t.match(html, /CVE-2026-2088/);
  t.match(html, /<dt>2026\.1\/flamingo<\/dt>\n<dd><a href="https:\/\/review\.opendev\.org\/882835">/, 'patches grouped per series');
});

t.test('hostile strings from YAML are escaped in page, index and feed', async (t) => {
  const adv = load(fixture('hostile.yaml'));
  const page = renderAdvisory(adv, 'html');
  const index = renderIndex([indexEntry(adv)]);
  const feed = renderFeed([indexEntry(adv)]);
  for (const [name, out, mode] of [['page', page, 'html'], ['index', index, 'html'], ['feed', feed, 'xml']] as const) {
    t.same(activeMarkup(out), [], `${name}: no live markup from the YAML`);
    t.same(checkMarkup(out, mode).problems, [], `${name}: still well-formed`);
    t.match(out, /&lt;script&gt;alert\(1\)&lt;\/script&gt; &amp; &quot;&gt;&lt;img src=x onerror=alert\(2\)&gt;/, `${name}: title shown as text`);
  }
  t.match(page, /<title>SEC-2026-0666: &lt;script&gt;/);
  t.match(page, /href="https:\/\/example\.org\/\?a=1&amp;b=&#39;onmouseover=alert\(7\)&#39;"/, 'attribute quotes cannot be closed');
  t.match(page, /&lt;iframe src=javascript:alert\(4\)&gt;/);
  t.match(page, /<dt>&lt;b&gt;series&lt;\/b&gt;<\/dt>/, 'YAML keys (series names) escaped too');
  t.match(feed, /]]&gt;/, 'CDATA terminator escaped in the feed');
});

t.test('index is newest first; feed is Atom with stable ids and absolute links', async (t) => {
  const a = indexEntry(load(fixture('minimal.yaml'))); // 2026-01-20
  const b = indexEntry(load(exampleYaml)); // 2026-03-14
  const c = indexEntry(load(fixture('note.yaml'))); // 2026-04-02
  const index = renderIndex([a, c, b]);
  const order = [c.id, b.id, a.id].map((id) => index.indexOf(`<span class="id">${id}</span>`));
  t.ok(order.every((p) => p >= 0), 'all listed');
  t.same([...order].sort((x, y) => x - y), order, 'newest first');
  t.same(checkMarkup(index, 'html').problems, []);
  t.match(index, /security note/);

  const feed = renderFeed([a, b, c], { siteUrl: 'https://security.example.org/adv' });
  t.same(checkMarkup(feed, 'xml').problems, []);
  t.match(feed, /<feed xmlns="http:\/\/www\.w3\.org\/2005\/Atom">/);
  t.match(feed, /<updated>2026-04-02T00:00:00Z<\/updated>/, 'feed updated = newest change');
  t.match(feed, /<link rel="alternate" type="text\/html" href="https:\/\/security\.example\.org\/adv\/OSSN-0093\.html"\/>/, 'entry links are absolute');
  t.match(feed, /<link rel="self" href="https:\/\/security\.example\.org\/adv\/feed\.xml"\/>/, 'the self link is absolute');
  t.notMatch(feed, /<id>https:/, 'ids never follow the URL: a moved site keeps its entries (RFC 4287 4.2.6)');
  t.equal(renderFeed([a]).match(/<id>[^<]+<\/id>/g)?.join(), renderFeed([a], { siteUrl: 'https://elsewhere.example/' }).match(/<id>[^<]+<\/id>/g)?.join(), 'same ids with and without a site URL');
  const named = renderFeed([a], { teamName: 'Example & Co Security' });
  t.match(named, '<author><name>Example &amp; Co Security</name></author>', 'the team is the author');
  const absIndex = renderIndex([a], { siteUrl: 'https://security.example.org/adv', teamName: 'Example Security' });
  t.match(absIndex, 'href="https://security.example.org/adv/SEC-2026-0007.html"', 'index links absolute');
  t.match(absIndex, '<h1>Security advisories of Example Security</h1>');
  t.ok(feed.indexOf('OSSN-0093') < feed.indexOf('OSSA-2026-001'), 'entries newest first');
  const local = renderFeed([a]);
  t.match(local, /<id>urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}<\/id>/, 'urn:uuid ids without a site URL');
});

t.test('publishAdvisory writes the site and rebuilds index and feed from the manifest', async (t) => {
  const dir = tmp(t);
  const first = await publishAdvisory(load(fixture('minimal.yaml')), dir);
  t.same(first.map((p) => p.slice(dir.length + 1)).sort(), [
    'CVE-2026-10001.json', 'CVE-2026-10002.json', MANIFEST_FILE, 'SEC-2026-0007.html', 'SEC-2026-0007.osv.json', 'SEC-2026-0007.csaf.json', 'feed.xml', 'index.html', 'style.css',
    // CSAF provider layout; no provider-metadata.json without a site URL, no .asc without the team key
    '.well-known/csaf/white/2026/sec-2026-0007.json', '.well-known/csaf/white/2026/sec-2026-0007.json.sha256',
    '.well-known/csaf/white/2026/sec-2026-0007.json.sha512', '.well-known/csaf/white/index.txt', '.well-known/csaf/white/changes.csv',
  ].sort());
  for (const p of first) t.ok(existsSync(p), p);
  const second = await publishAdvisory(load(exampleYaml), dir);
  t.ok(second.includes(join(dir, 'CVE-2026-2088.json')));
  t.ok(second.includes(join(dir, 'OSSA-2026-001.osv.json')));
  const index = readFileSync(join(dir, 'index.html'), 'utf8');
  t.ok(index.indexOf('OSSA-2026-001') >= 0 && index.indexOf('OSSA-2026-001') < index.indexOf('SEC-2026-0007'), 'both listed, newest first');
  const feed = readFileSync(join(dir, 'feed.xml'), 'utf8');
  t.equal(feed.match(/<entry>/g)?.length, 2);

  // Re-publishing (errata) replaces the entry instead of duplicating it.
  const errata = load(exampleYaml.replace('title: Unauthorized volume access through deleted volume attachments', 'title: Unauthorized volume access (updated)'));
  await publishAdvisory(errata, dir);
  const manifest = JSON.parse(readFileSync(join(dir, MANIFEST_FILE), 'utf8')) as { advisories: Array<{ id: string; title: string }> };
  t.same(manifest.advisories.map((e) => e.id).sort(), ['OSSA-2026-001', 'SEC-2026-0007']);
  t.match(readFileSync(join(dir, 'index.html'), 'utf8'), /Unauthorized volume access \(updated\)/);
  t.equal(readFileSync(join(dir, 'feed.xml'), 'utf8').match(/<entry>/g)?.length, 2);
  t.same(JSON.parse(readFileSync(join(dir, 'OSSA-2026-001.osv.json'), 'utf8')).summary, 'Unauthorized volume access (updated)');
  t.notOk(readFileSync(join(dir, 'index.html'), 'utf8').includes('.tmp-'), 'no temp names leak');
});

t.test('a corrupt manifest stops publication instead of dropping earlier advisories', async (t) => {
  const dir = tmp(t);
  writeFileSync(join(dir, MANIFEST_FILE), '{"something": "else"}');
  await t.rejects(publishAdvisory(load(exampleYaml), dir), /refusing to rebuild the index/);
});

t.test('publishAdvisory refuses ids that are not safe file names', async (t) => {
  const dir = tmp(t);
  await t.rejects(publishAdvisory({ ...load(exampleYaml), id: '../../etc/x' }, dir), /not a safe file name/);
});
