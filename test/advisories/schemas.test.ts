// Round trip: YAML -> OSV and CVE JSON 5 -> valid against the official schemas in ../shared/schemas.
import t from 'tap';
import {
  osvId,
  PLACEHOLDER_ASSIGNER_ORG_ID,
  renderAdvisory,
  toCveRecords,
  toOsv,
} from '../../src/advisories/index.js';
import { cveValidator, exampleYaml, fixture, osvValidator, schemasMissing, SKIP_SCHEMAS } from '../fixtures/advisories/support.js';
import { loadAdvisory } from '../fixtures/advisories/support.js';

const load = loadAdvisory;

const inputs: Array<[string, string]> = [
  ['example.yaml', exampleYaml],
  ['note.yaml', fixture('note.yaml')],
  ['minimal.yaml', fixture('minimal.yaml')],
  ['hostile.yaml', fixture('hostile.yaml')],
];

if (schemasMissing) {
  t.comment(SKIP_SCHEMAS);
  t.test('OSV and CVE schema validation', { skip: SKIP_SCHEMAS }, async () => {});
} else {
  const validOsv = osvValidator();
  const validCve = cveValidator();

  for (const [name, yaml] of inputs) {
    t.test(`${name}: OSV record is schema-valid`, async (t) => {
      const adv = load(yaml);
      const json: unknown = JSON.parse(renderAdvisory(adv, 'osv'));
      t.ok(validOsv(json), JSON.stringify(validOsv.errors, null, 2));
      const withSite = toOsv(adv, { siteUrl: 'https://security.example.org/advisories' });
      t.ok(validOsv(withSite), `with siteUrl: ${JSON.stringify(validOsv.errors)}`);
    });
    t.test(`${name}: CVE JSON 5 records are schema-valid`, async (t) => {
      const adv = load(yaml);
      const records = JSON.parse(renderAdvisory(adv, 'cve', {
        timeline: [{ event: 'Reported to the security team', date: '2026-01-02' }, { event: 'Public', date: `${adv.date}T15:00:00Z` }],
        siteUrl: 'https://security.example.org/advisories/',
      })) as unknown[];
      t.equal(records.length, adv.vulnerabilities.length, 'one record per CVE');
      for (const rec of records) t.ok(validCve(rec), JSON.stringify(validCve.errors, null, 2));
    });
  }

  t.test('the validators really reject broken records', async (t) => {
    const osv = toOsv(load(exampleYaml));
    t.notOk(validOsv({ ...osv, id: 'OSSA-2026-001' }), 'an unprefixed id is not accepted by the OSV schema');
    const [first] = toCveRecords(load(exampleYaml));
    const cna = (first?.record.containers as { cna: Record<string, unknown> }).cna;
    t.notOk(validCve({ ...first?.record, containers: { cna: { ...cna, references: [] } } }), 'CVE record without references fails');
  });
}

t.test('OSV content: id, aliases, ranges, credits, class', async (t) => {
  const adv = load(exampleYaml);
  const osv = toOsv(adv) as Record<string, any>; // any: the test walks nested JSON whose shape the schema check above covers
  t.equal(osv.id, 'x_OSSA-2026-001');
  t.equal(osvId(adv), osv.id);
  t.same(osv.aliases, ['CVE-2026-2088']);
  t.equal(osv.published, '2026-03-14T00:00:00Z');
  t.equal(osv.modified, '2026-03-16T00:00:00Z', 'modified follows errata');
  t.same(osv.affected[0].package, { ecosystem: 'PyPI', name: 'cinder' });
  t.same(osv.affected[0].ranges, [
    { type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '20.2.1' }] },
    { type: 'ECOSYSTEM', events: [{ introduced: '21.0.0' }, { fixed: '21.2.1' }] },
  ]);
  t.same(osv.affected[0].versions, ['22.0.0']);
  t.same(osv.affected[1].ranges[2], { type: 'ECOSYSTEM', events: [{ introduced: '27.0.0' }, { last_affected: '27.0.1' }] });
  t.same(osv.severity, [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:N' }]);
  t.same(osv.credits.map((c: { type: string }) => c.type), ['REPORTER', 'REPORTER', 'REMEDIATION_DEVELOPER', 'COORDINATOR']);
  t.equal(osv.database_specific.class, 'A');
  t.ok(osv.references.some((r: { type: string; url: string }) => r.type === 'FIX' && r.url === 'https://review.opendev.org/882835'));

  const min = toOsv(load(fixture('minimal.yaml'))) as Record<string, any>; // any: as above
  t.notOk('package' in min.affected[0], 'no package without an ecosystem');
  t.same(min.affected[0].ranges, [{ type: 'SEMVER', events: [{ introduced: '1.2.0' }, { fixed: '1.4.3' }] }]);
  t.notOk('severity' in min, 'no single top-level severity when CVEs differ');
});

t.test('CVE content: metadata, versions, problem types, metrics, credits', async (t) => {
  const adv = load(exampleYaml);
  const [rec] = toCveRecords(adv).map((r) => r.record as Record<string, any>); // any: nested JSON, shape checked by the schema test
  t.equal(rec?.cveMetadata.cveId, 'CVE-2026-2088');
  t.equal(rec?.cveMetadata.assignerOrgId, PLACEHOLDER_ASSIGNER_ORG_ID);
  const cna = rec?.containers.cna;
  t.same(cna.affected[0], {
    vendor: 'OpenStack',
    product: 'Cinder',
    versions: [
      { version: '0', status: 'affected', versionType: 'python', lessThan: '20.2.1' },
      { version: '21.0.0', status: 'affected', versionType: 'python', lessThan: '21.2.1' },
      { version: '22.0.0', status: 'affected' },
    ],
    defaultStatus: 'unaffected',
  });
  t.equal(cna.problemTypes[0].descriptions[0].cweId, 'CWE-284');
  t.equal(cna.metrics[0].cvssV3_1.baseScore, 8.1);
  t.equal(cna.metrics[0].cvssV3_1.baseSeverity, 'HIGH');
  t.same(cna.credits.slice(0, 2), [
    { lang: 'en', value: 'Jan Wasilewski (Atman)', type: 'reporter' },
    { lang: 'en', value: 'Gorka Eguileor (Red Hat)', type: 'reporter' },
  ]);
  t.match(cna.descriptions[0].value, /stale device/, 'per-CVE note appended');

  const own = toCveRecords(adv, { assignerOrgId: '8254265b-2729-46b6-b9e3-3dfca2d5bfca' })[0]?.record as Record<string, any>; // any: as above
  t.equal(own.cveMetadata.assignerOrgId, '8254265b-2729-46b6-b9e3-3dfca2d5bfca');
  t.throws(() => toCveRecords(adv, { assignerOrgId: 'not-a-uuid' }), /not a version 4 UUID/);

  const min = toCveRecords(load(fixture('minimal.yaml')));
  t.same(min.map((r) => r.cveId), ['CVE-2026-10001', 'CVE-2026-10002']);
  const m2 = (min[1]?.record.containers as { cna: Record<string, any> }).cna; // any: as above
  t.equal(m2.metrics[0].cvssV3_0.baseScore, 10, 'CVSS 3.0 scope-changed vector scores 10.0');
  t.notOk('problemTypes' in m2, 'no problemTypes without a CWE');
  t.same(JSON.parse(renderAdvisory(load(fixture('note.yaml')), 'cve')), [], 'a note without CVEs has no CVE records');
});
