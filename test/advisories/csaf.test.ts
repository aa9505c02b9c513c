// CSAF 2.0: YAML -> CSAF document, valid against the official schema in ../shared/schemas,
// with the profile's rules that the schema cannot express (product IDs defined, notes, references).
import t from 'tap';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { csafDistributionPath, csafFileName, providerMetadata, renderAdvisory, toCsaf } from '../../src/advisories/index.js';
import { csafSchemaMissing, csafValidator, exampleYaml, fixture, fixturesDir, loadAdvisory, SKIP_CSAF } from '../fixtures/advisories/support.js';

const inputs: Array<[string, string]> = [
  ['example.yaml', exampleYaml],
  ...readdirSync(fixturesDir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f): [string, string] => [f, fixture(f)]),
];
const publisher = { name: 'Example Security Team', namespace: 'https://security.example.org', category: 'coordinator' as const };
const siteUrl = 'https://security.example.org/';

type Json = Record<string, any>; // any: the tests walk nested JSON whose shape the schema check covers

/** Every product ID defined in the product tree. */
function definedIds(tree: Json | undefined): Set<string> {
  const ids = new Set<string>();
  const walk = (b: Json): void => {
    if (b.product) ids.add(b.product.product_id);
    for (const c of b.branches ?? []) walk(c);
  };
  if (tree) walk(tree);
  return ids;
}

/** Every product ID a vulnerability refers to. */
function usedIds(doc: Json): string[] {
  const out: string[] = [];
  for (const v of doc.vulnerabilities) {
    for (const list of Object.values(v.product_status ?? {})) out.push(...(list as string[]));
    for (const s of v.scores ?? []) out.push(...s.products);
    for (const r of v.remediations ?? []) out.push(...(r.product_ids ?? []));
  }
  return out;
}

if (csafSchemaMissing) {
  t.comment(SKIP_CSAF);
  t.test('CSAF schema validation', { skip: SKIP_CSAF }, async () => {});
} else {
  const valid = csafValidator();
  for (const [name, yaml] of inputs) {
    t.test(`${name}: CSAF document is schema-valid and self-consistent`, async (t) => {
      const adv = loadAdvisory(yaml);
      for (const opts of [{}, { siteUrl, publisher }]) {
        const doc = JSON.parse(renderAdvisory(adv, 'csaf', opts)) as Json;
        t.ok(valid(doc), `${JSON.stringify(opts)}: ${JSON.stringify(valid.errors, null, 2)}`);
        const ids = definedIds(doc.product_tree);
        for (const id of usedIds(doc)) t.ok(ids.has(id), `${id} is defined in the product tree (mandatory test 6.1.1)`);
        t.ok(doc.vulnerabilities.length >= 1, 'the profile requires /vulnerabilities (6.1.27.3)');
        t.ok(doc.document.notes.some((n: Json) => ['description', 'details', 'general', 'summary'].includes(n.category)), 'document notes (6.1.27.1)');
        t.ok(doc.document.references.some((r: Json) => r.category === 'external'), 'an external reference (6.1.27.2)');
        for (const b of JSON.stringify(doc.product_tree ?? {}).matchAll(/"category":"product_version","name":"([^"]*)"/g)) {
          t.notMatch(b[1], /^[<>=]|vers:/, 'no version range in a product_version (6.1.31)');
        }
      }
    });
  }

  t.test('the validator really rejects broken documents', async (t) => {
    const doc = toCsaf(loadAdvisory(exampleYaml)) as Json;
    t.notOk(valid({ ...doc, document: { ...doc.document, csaf_version: '1.2' } }), 'wrong csaf_version');
    const v0 = doc.vulnerabilities[0];
    t.notOk(valid({ ...doc, vulnerabilities: [{ ...v0, scores: [{ ...v0.scores[0], cvss_v3: { ...v0.scores[0].cvss_v3, baseScore: 11 } }] }] }), 'CVSS score out of range');
  });
}

t.test('CSAF content of the example', async (t) => {
  const adv = loadAdvisory(exampleYaml);
  const doc = toCsaf(adv, { siteUrl: 'https://security.example.org', publisher }) as Json;
  const d = doc.document;
  t.equal(d.category, 'csaf_security_advisory');
  t.equal(d.csaf_version, '2.0');
  t.same(d.publisher, { category: 'coordinator', name: 'Example Security Team', namespace: 'https://security.example.org' });
  t.equal(d.tracking.id, 'OSSA-2026-001');
  t.equal(d.tracking.status, 'final');
  t.equal(d.tracking.initial_release_date, '2026-03-14T00:00:00.000Z');
  t.equal(d.tracking.current_release_date, '2026-03-16T00:00:00.000Z', 'current release follows errata');
  t.same(d.tracking.revision_history.map((r: Json) => r.number), ['1', '2']);
  t.equal(d.tracking.version, '2', 'version is the last revision');
  t.same(d.references[0], { category: 'self', summary: 'This CSAF document', url: 'https://security.example.org/.well-known/csaf/white/2026/ossa-2026-001.json' });

  const vendor = doc.product_tree.branches[0];
  t.equal(vendor.category, 'vendor');
  t.equal(vendor.name, 'OpenStack');
  t.same(vendor.branches.map((b: Json) => [b.category, b.name]), [['product_name', 'Cinder'], ['product_name', 'Nova']]);
  const cinder = vendor.branches[0].branches.map((b: Json) => [b.category, b.name]);
  t.same(cinder, [
    ['product_version_range', 'vers:pypi/<20.2.1'],
    ['product_version_range', 'vers:pypi/>=21.0.0|<21.2.1'],
    ['product_version', '22.0.0'],
    ['product_version', '20.2.1'],
    ['product_version', '21.2.1'],
  ]);
  t.same(vendor.branches[1].branches[2].name, 'vers:pypi/>=27.0.0|<=27.0.1');

  const [v] = doc.vulnerabilities;
  t.equal(v.cve, 'CVE-2026-2088');
  t.same(v.cwe, { id: 'CWE-284', name: 'Improper Access Control' }, 'the official CWE name (mandatory test 6.1.11)');
  t.equal(v.product_status.known_affected.length, 6);
  t.equal(v.product_status.fixed.length, 4, 'Cinder 20.2.1, 21.2.1; Nova 25.1.2, 26.1.2');
  t.equal(v.scores[0].cvss_v3.baseScore, 8.1);
  t.equal(v.scores[0].cvss_v3.vectorString, 'CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:N');
  t.ok(v.remediations.some((r: Json) => r.category === 'vendor_fix' && r.details === 'Update Cinder to version 20.2.1 or later.'));
  t.ok(v.remediations.some((r: Json) => r.category === 'vendor_fix' && r.url === 'https://review.opendev.org/882835'));
  t.same(v.acknowledgments.slice(0, 2), [
    { names: ['Jan Wasilewski'], organization: 'Atman', summary: 'reporter' },
    { names: ['Gorka Eguileor'], organization: 'Red Hat', summary: 'reporter' },
  ]);

  const note = toCsaf(loadAdvisory(fixture('note.yaml'))) as Json;
  t.equal(note.vulnerabilities.length, 1, 'a note without CVEs has one vulnerability item');
  t.notOk('cve' in note.vulnerabilities[0]);
  t.same(note.product_tree.branches[0].branches[0].branches[0].name, 'vers:semver/>=25.0.0');

  t.equal(csafFileName({ id: 'OSSA-2026-001' }), 'ossa-2026-001.json');
  t.equal(csafFileName({ id: 'SEC-2026-0007' }), 'sec-2026-0007.json');
  t.equal(csafDistributionPath(adv), 'white/2026/ossa-2026-001.json');
});

t.test('provider-metadata.json', async (t) => {
  const pm = providerMetadata({
    csafBaseUrl: 'https://security.example.org/.well-known/csaf/',
    publisher,
    lastUpdated: '2026-03-16T00:00:00.000Z',
    openpgpKey: { fingerprint: 'abcdef0123456789abcdef0123456789abcdef01', url: 'https://security.example.org/team.asc' },
  }) as Json;
  t.equal(pm.canonical_url, 'https://security.example.org/.well-known/csaf/provider-metadata.json');
  t.same(pm.distributions, [{ directory_url: 'https://security.example.org/.well-known/csaf/white/' }]);
  t.equal(pm.role, 'csaf_publisher');
  t.equal(pm.metadata_version, '2.0');
  t.same(pm.public_openpgp_keys, [{ fingerprint: 'ABCDEF0123456789ABCDEF0123456789ABCDEF01', url: 'https://security.example.org/team.asc' }]);
});

t.test('vmtd advisory render FILE --format csaf (with and without --config)', async (t) => {
  const { advisoryCommand } = await import('../../src/cli/advisory.js');
  const { repoRoot } = await import('../fixtures/advisories/support.js');
  const render = async (values: Record<string, string>): Promise<Json> => {
    let out = '';
    const env = { config: undefined as never, clock: () => new Date(), args: ['render', `${repoRoot}/templates/advisory/example.yaml`], values, out: (s: string) => void (out += s) };
    t.equal(await advisoryCommand(env), 0);
    return JSON.parse(out) as Json;
  };
  const plain = await render({ format: 'csaf' });
  t.equal(plain.document.category, 'csaf_security_advisory');
  t.equal(plain.document.publisher.namespace, 'https://example.invalid', 'without a config: a namespace that is no one’s');
  const configured = await render({ format: 'csaf', config: `${repoRoot}/config/vmtd.example.yaml` });
  t.same(configured.document.publisher, { category: 'coordinator', name: 'Example Security Team', namespace: 'https://example.org', contact_details: 'security@example.org' });
  t.equal(configured.document.references[0].url, 'https://example.org/.well-known/csaf/white/2026/ossa-2026-001.json');
  await t.rejects(render({ format: 'csav' }), /--format must be one of rst, html, osv, cve, csaf/);
});

t.test('vmtd advisory render --config renders every format as publication does: the team\'s templates and name', async (t) => {
  const { advisoryCommand } = await import('../../src/cli/advisory.js');
  const { repoRoot } = await import('../fixtures/advisories/support.js');
  const dir = mkdtempSync(join(tmpdir(), 'vmtd-render-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'mine', 'advisory'), { recursive: true });
  writeFileSync(join(dir, 'mine', 'advisory', 'advisory.txt'), 'OUR-OWN-LAYOUT {{title}}\n');
  const example = readFileSync(`${repoRoot}/config/vmtd.example.yaml`, 'utf8').replace(/\.\.\/(data|templates)/g, `${repoRoot}/$1`);
  writeFileSync(join(dir, 'vmtd.yaml'), `${example}\nadvisories: { templatesDir: mine }\n`);
  const render = async (values: Record<string, string>): Promise<string> => {
    let out = '';
    const env = { config: undefined as never, clock: () => new Date(), args: ['render', `${repoRoot}/templates/advisory/example.yaml`], values, out: (s: string) => void (out += s) };
    t.equal(await advisoryCommand(env), 0);
    return out;
  };
  t.match(await render({ format: 'rst', config: join(dir, 'vmtd.yaml') }), /^OUR-OWN-LAYOUT /, "the team's mail template");
  t.notMatch(await render({ format: 'rst' }), /OUR-OWN-LAYOUT/, 'without a config: the shipped one');
  const page = await render({ format: 'html', config: join(dir, 'vmtd.yaml') });
  t.match(page, 'Example Security Team', "the team's name on the page (page.html taken from the shipped templates)");
});
