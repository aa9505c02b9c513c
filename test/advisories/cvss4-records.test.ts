// CVSS v4.0 vectors in the advisory YAML reach OSV (CVSS_V4), CVE JSON 5.1 (cvssV4_0), CSAF 2.0
// (as a note: CSAF 2.0 has no v4 score) and the HTML page, each valid against its official schema.
import t from 'tap';
import { renderAdvisory, renderPage, toCveRecords, toOsv } from '../../src/advisories/index.js';
import {
  csafSchemaMissing, csafValidator, cveValidator, fixture, loadAdvisory, osvValidator, schemasMissing, SKIP_CSAF, SKIP_SCHEMAS,
} from '../fixtures/advisories/support.js';

const V4 = 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N';
// minimal.yaml with its v3.0 vector replaced by a v4.0 one, on both CVEs so OSV gets a top-level severity
const yaml = fixture('minimal.yaml')
  .replace('  - cve-id: CVE-2026-10001\n', `  - cve-id: CVE-2026-10001\n    cvss: ${V4}\n`)
  .replace(/cvss: CVSS:3\.0\/\S+/, `cvss: ${V4}`);
type Json = Record<string, any>; // any: walks nested JSON whose shape the schema checks cover

t.test('the YAML loads with the v4.0 vector, and a bad v4.0 vector is refused with the reason', async (t) => {
  const adv = loadAdvisory(yaml);
  t.same(adv.vulnerabilities.map((v) => v.cvss), [V4, V4]);
  t.throws(() => loadAdvisory(yaml.replace(`${V4}\n`, `${V4}/E:A\n`)), /threat, environmental or supplemental/);
});

t.test('OSV and CVE records carry the v4.0 vector and score, schema-valid', { skip: schemasMissing ? SKIP_SCHEMAS : false }, async (t) => {
  const adv = loadAdvisory(yaml);
  const osv = toOsv(adv) as Json;
  t.same(osv.severity, [{ type: 'CVSS_V4', score: V4 }]);
  const validOsv = osvValidator();
  t.ok(validOsv(osv), JSON.stringify(validOsv.errors));
  const validCve = cveValidator();
  const records = toCveRecords(adv);
  t.equal(records.length, 2);
  for (const { record } of records) {
    const metric = (record as Json).containers.cna.metrics[0];
    t.match(metric.cvssV4_0, { version: '4.0', vectorString: V4, baseScore: 9.3, baseSeverity: 'CRITICAL', attackRequirements: 'NONE' });
    t.notOk('cvssV3_1' in metric);
    t.ok(validCve(record), JSON.stringify(validCve.errors, null, 2));
  }
  // the configured CNA (config cve.assignerOrgId / assignerShortName) names the records, still valid
  const org = '8254265b-2729-46b6-b9e3-3dfca2d5bfca';
  const [named] = toCveRecords(adv, { assignerOrgId: org, assignerShortName: 'example' });
  t.match(named?.record, { cveMetadata: { assignerOrgId: org, assignerShortName: 'example' }, containers: { cna: { providerMetadata: { orgId: org, shortName: 'example' } } } });
  t.ok(validCve(named?.record), JSON.stringify(validCve.errors));
  // the validator checks the v4 block: a score out of the enum fails
  const [first] = records;
  const bad = JSON.parse(JSON.stringify(first?.record)) as Json;
  bad.containers.cna.metrics[0].cvssV4_0.baseScore = 9.35;
  t.notOk(validCve(bad), 'a v4.0 score off the 0.1 grid is rejected by the schema');
});

t.test('CSAF keeps the v4.0 vector as a note and stays schema-valid', { skip: csafSchemaMissing ? SKIP_CSAF : false }, async (t) => {
  const doc = JSON.parse(renderAdvisory(loadAdvisory(yaml), 'csaf')) as Json;
  const valid = csafValidator();
  t.ok(valid(doc), JSON.stringify(valid.errors, null, 2));
  for (const v of doc.vulnerabilities as Json[]) {
    t.notOk(v.scores, 'no cvss_v3 score invented from a v4.0 vector');
    t.ok((v.notes as Json[]).some((n) => n.title === 'CVSS v4.0' && String(n.text).includes(V4) && String(n.text).includes('9.3')));
  }
});

t.test('the HTML page shows the v4.0 score and severity', async (t) => {
  const html = renderPage(loadAdvisory(yaml));
  t.match(html, /CRITICAL/);
  t.match(html, /9\.3/);
  t.match(html, V4);
});
