// The plain-text mail (OSSA and OSSN layouts, 72 columns), the oss-security subject, and the
// template engine the team edits.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import t from 'tap';
import {
  advisorySubject,
  defaultTemplatesDir,
  renderAdvisory,
  TemplateError,
  type Advisory,
} from '../../src/advisories/index.js';
import { compileTemplate, renderNodes } from '../../src/advisories/templates.js';
import { wrapText } from '../../src/advisories/wrap.js';
import { exampleYaml, fixture, repoRoot } from '../fixtures/advisories/support.js';
import { loadAdvisory } from '../fixtures/advisories/support.js';

const load = loadAdvisory;

/** Lines over 72 columns that are not a single unbreakable word (URL) or a literal-block line. */
function overlong(text: string): string[] {
  return text.split('\n').filter((l) => l.length > 72 && /\S\s+\S/.test(l.trim()));
}

t.test('default templates dir is found from the module location', async (t) => {
  t.equal(defaultTemplatesDir(), resolve(repoRoot, 'templates/advisory'));
});

t.test('advisory mail follows the OSSA layout', async (t) => {
  const text = renderAdvisory(load(exampleYaml), 'rst');
  const headings = ['Affects', 'Description', 'Patches', 'Credits', 'References', 'Notes', 'Errata', 'OSSA History'];
  let last = -1;
  for (const h of headings) {
    const at = text.indexOf(`\n${h}\n${'~'.repeat(h.length)}\n`);
    t.ok(at > last, `section ${h} present, in order`);
    last = at;
  }
  const lines = text.split('\n');
  t.equal(lines[0], '='.repeat(72));
  t.equal(lines[1], 'Unauthorized volume access through deleted volume attachments');
  t.equal(lines[2], '='.repeat(72));
  t.match(text, /^:Advisory ID: OSSA-2026-001$/m);
  t.match(text, /^:Date: March 14, 2026$/m);
  t.match(text, /^:CVE: CVE-2026-2088$/m);
  t.match(text, /^- Cinder: <20\.2\.1, >=21\.0\.0 <21\.2\.1, ==22\.0\.0$/m);
  t.match(text, /^- https:\/\/review\.opendev\.org\/882835 \(2026\.1\/flamingo\)$/m, 'patches per series');
  t.match(text, /^- https:\/\/review\.opendev\.org\/882836 \(2025\.2\/epoxy\)$/m);
  t.match(text, /^- Jan Wasilewski from Atman \(CVE-2026-2088\)$/m, 'OSSA credit wording');
  t.match(text, /^- Brian Rosmaita from Red Hat \(remediation developer\)$/m, 'typed credit');
  t.match(text, /^- https:\/\/www\.cve\.org\/CVERecord\?id=CVE-2026-2088$/m);
  t.match(text, /^- 2026-03-16 - Errata 1\n- 2026-03-14 - Original Version\n$/m, 'history newest first, ends the mail');
  t.match(text, /severity: 8\.1 HIGH/, 'CVSS base score computed');
  t.same(overlong(text), [], 'no line over 72 columns except unbreakable URLs');
  t.ok(text.split('\n').some((l) => l.length > 72), 'the long policy URL really is in the output, unbroken');
  t.match(text, /^ {2}https:\/\/docs\.openstack\.org\/\S+$/m, 'long URL on its own, hanging-indented line');
  t.notMatch(text, /[\x00-\x08\x0b-\x1f\x7f]/, 'no control characters');
  t.ok(text.endsWith('Original Version\n'));
});

t.test('security note follows the OSSN layout and keeps literal blocks', async (t) => {
  const text = renderAdvisory(load(fixture('note.yaml')), 'rst');
  const sections = ['Summary', 'Affected Services / Software', 'Discussion', 'Recommended Actions', 'Credits', 'Contacts / References'];
  let last = -1;
  for (const s of sections) {
    const at = text.indexOf(`### ${s} ###`);
    t.ok(at > last, `${s} in order`);
    last = at;
  }
  t.match(text, /^:Security Note: OSSN-0093$/m);
  t.notMatch(text, /:CVE:/, 'no CVE line when the note has none');
  t.match(text, /^- Alex Finder from Example Labs \(finder\)$/m);
  t.match(text, /^Author: Nora Author, Example Security Team <nora@example\.org>$/m);
  t.match(text, /^ {4}\[import_filtering_opts\]\n {4}allowed_hosts = images\.example\.org$/m, 'literal block untouched');
  t.match(text, /configure\nimport_filtering_opts so that only trusted hosts are reachable\./, 'prose paragraph re-flowed');
  t.same(overlong(text), []);
});

t.test('wrapText: hanging indents, unbreakable words, literal blocks', async (t) => {
  const long = 'word '.repeat(30).trim();
  const out = wrapText(`- ${long}\n  3. ${long}\nSee::\n\n    ${long}\n`, 40);
  const lines = out.split('\n');
  t.ok(lines.slice(0, 4).every((l) => l.length <= 40));
  t.match(out, /^- word[\s\S]*^ {2}word/m, 'bullet continuation indented by 2');
  t.match(out, /^ {2}3\. word.*\n {5}word/m, 'numbered item continuation indented by 5');
  t.ok(lines.includes(`    ${long}`), 'literal block line left alone');
  t.equal(wrapText(`x https://example.org/${'a'.repeat(80)} y`, 20), `x\nhttps://example.org/${'a'.repeat(80)}\ny`);
});

t.test('subject: format and no header injection whatever the Advisory holds', async (t) => {
  const adv = load(exampleYaml);
  t.equal(advisorySubject(adv), '[OSSA-2026-001] Cinder, Nova: Unauthorized volume access through deleted volume attachments (CVE-2026-2088)');
  // parseAdvisory rejects CR/LF in titles; an Advisory built by other code must still be safe.
  const evil: Advisory = { ...adv, title: 'x\r\nBcc: victim@example.org\u0085\u2028\ttab\u0000' };
  const s = advisorySubject(evil);
  t.notMatch(s, /[\x00-\x1f\x7f-\x9f\u2028\u2029]/);
  t.match(s, /x Bcc: victim@example\.org tab/);
  const note = load(fixture('note.yaml'));
  t.equal(advisorySubject(note), '[OSSN-0093] Glance: Glance image import may follow redirects to internal hosts');
});

t.test('template engine: escaping, loops, conditionals, errors', async (t) => {
  const html = renderNodes(compileTemplate('<p title="{{a}}">{{a}}</p>{{#each xs}}[{{this}}{{#unless @last}},{{/unless}}]{{/each}}{{#if none}}X{{else}}Y{{/if}}', 'inline.html'), { a: `<"&'>`, xs: [1, 2], none: [] }, 'html', 'inline.html');
  t.equal(html, '<p title="&lt;&quot;&amp;&#39;&gt;">&lt;&quot;&amp;&#39;&gt;</p>[1,][2]Y');
  const text = renderNodes(compileTemplate('{{#each xs}}\n- {{this}}\n{{/each}}\nend', 't.txt'), { xs: ['a\nb', 'c'] }, 'text', 't.txt');
  t.equal(text, '- a\n  b\n- c\nend', 'standalone block lines vanish; multi-line values keep a hanging indent');
  const twice = renderNodes(compileTemplate('> {{a}} x {{b}}', 't.txt'), { a: '1\n22', b: 'p\nq' }, 'text', 't.txt');
  t.equal(twice, '> 1\n  22 x p\n       q', 'the indent follows the column where each value starts, after earlier multi-line values');
  t.throws(() => renderNodes(compileTemplate('{{tilte}}', 'typo.txt'), { title: 'x' }, 'text', 'typo.txt'), TemplateError, 'unknown name is an error');
  t.throws(() => compileTemplate('{{#each xs}}', 'open.txt'), /never closed/);
  t.throws(() => compileTemplate('{{{raw}}}', 'raw.html'), /not a tag/, 'no triple-stash raw output exists');
  t.throws(() => compileTemplate('{{/if}}', 'close.txt'), /does not close/);
});

t.test('wording comes from the templates directory, not from code', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vmtd-tpl-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(defaultTemplatesDir(), dir, { recursive: true });
  const file = join(dir, 'advisory.txt');
  writeFileSync(file, readFileSync(file, 'utf8').replace('OSSA History', 'Advisory Timeline'));
  const text = renderAdvisory(load(exampleYaml), 'rst', { templatesDir: dir });
  t.match(text, /^Advisory Timeline\n~~~~~~~~~~~~\n/m);
  t.notMatch(text, /OSSA History/);
  writeFileSync(join(dir, 'page.html'), '{{id}} {{nosuchfield}}');
  t.throws(() => renderAdvisory(load(exampleYaml), 'html', { templatesDir: dir }), TemplateError, 'a broken template says so');
});

t.test("the X-ADVISORY preview members review is rendered with the team's templates, as publication will", async (t) => {
  const { advisoryPreview } = await import('../../src/commands/advisory-check.js');
  const dir = mkdtempSync(join(tmpdir(), 'vmtd-preview-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(resolve(repoRoot, 'templates/advisory'), dir, { recursive: true });
  writeFileSync(join(dir, 'advisory.txt'), 'TEAM-LAYOUT {{title}}\n');
  const yaml = exampleYaml;
  t.match(advisoryPreview(yaml, dir), /^TEAM-LAYOUT /);
  t.notMatch(advisoryPreview(yaml), /TEAM-LAYOUT/, 'no team directory: the shipped layout');
});
