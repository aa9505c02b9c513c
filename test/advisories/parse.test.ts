// Validation: the example and fixtures load; each bad input gives an error naming the field
// path and the YAML line where the problem is.
import t from 'tap';
import { parseAdvisory, type AdvisoryError, type AdvisoryResult } from '../../src/advisories/index.js';
import { exampleYaml, fixture } from '../fixtures/advisories/support.js';

/** 1-based line of the first line containing `marker` in `yaml`. */
function lineOf(yaml: string, marker: string): number {
  const i = yaml.split('\n').findIndex((l) => l.includes(marker));
  if (i < 0) throw new Error(`marker ${marker} not in yaml`);
  return i + 1;
}

function errorsOf(r: AdvisoryResult): AdvisoryError[] {
  return r.ok ? [] : r.errors;
}

function replaceOnce(src: string, from: string, to: string): string {
  if (!src.includes(from)) throw new Error(`fixture text ${JSON.stringify(from)} not found`);
  return src.replace(from, to);
}

t.test('the shipped example parses into a typed advisory', async (t) => {
  const r = parseAdvisory(exampleYaml);
  if (!r.ok) return t.fail(JSON.stringify(r.errors, null, 2));
  const a = r.advisory;
  t.equal(a.id, 'OSSA-2026-001');
  t.equal(a.kind, 'advisory');
  t.equal(a.class, 'A');
  t.equal(a.affectedProducts.length, 2);
  t.same(a.affectedProducts[0]?.clauses, [
    { text: '<20.2.1', introduced: '0', fixed: '20.2.1' },
    { text: '>=21.0.0 <21.2.1', introduced: '21.0.0', fixed: '21.2.1' },
    { text: '==22.0.0', exact: '22.0.0' },
  ]);
  t.same(a.affectedProducts[1]?.clauses[2], { text: '>=27.0.0 <=27.0.1', introduced: '27.0.0', lastAffected: '27.0.1' });
  t.same(a.vulnerabilities.map((v) => v.cveId), ['CVE-2026-2088']);
  t.same(a.reporters.map((r) => [r.name, r.affiliation, r.reported]), [
    ['Jan Wasilewski', 'Atman', ['CVE-2026-2088']],
    ['Gorka Eguileor', 'Red Hat', ['CVE-2026-2088']],
  ]);
  t.same(a.credits.map((c) => c.type), ['REMEDIATION_DEVELOPER', 'COORDINATOR']);
  t.same(a.reviews.map((r) => r.series), ['2026.1/flamingo', '2025.2/epoxy']);
  t.same(a.errataHistory, [{ date: '2026-03-16', text: 'Errata 1' }]);
  t.notOk(a.description.endsWith('\n'), 'block scalars are trimmed');
});

t.test('fixtures: security note, minimal SemVer advisory, hostile strings all load', async (t) => {
  for (const f of ['note.yaml', 'minimal.yaml', 'hostile.yaml']) {
    const r = parseAdvisory(fixture(f));
    t.ok(r.ok, `${f}: ${JSON.stringify(errorsOf(r))}`);
  }
  const note = parseAdvisory(fixture('note.yaml'));
  t.equal(note.ok && note.advisory.kind, 'security-note');
  const min = parseAdvisory(fixture('minimal.yaml'));
  t.same(min.ok && min.advisory.reporters[0]?.reported, ['CVE-2026-10001', 'CVE-2026-10002'], 'a reporter without "reported" is credited for every CVE');
});

interface BadCase {
  name: string;
  yaml: string;
  path: string;
  marker: string;
  message: RegExp;
}

const noCredit = exampleYaml.replace(/^reporters:\n(?: {2}.*\n)+/m, '').replace(/^credits:\n(?: {2}.*\n)+/m, '');

const cases: BadCase[] = [
  {
    name: 'missing credit (no reporters, no REPORTER/FINDER credit)',
    yaml: noCredit,
    path: 'reporters',
    marker: 'id: OSSA-2026-001',
    message: /missing credit/,
  },
  {
    name: 'credits present but none of type REPORTER or FINDER, and no reporters',
    yaml: exampleYaml.replace(/^reporters:\n(?: {2}.*\n)+/m, ''),
    path: 'reporters',
    marker: 'id: OSSA-2026-001',
    message: /missing credit.*REPORTER or FINDER/,
  },
  {
    name: 'bad version range (lower bound above upper bound)',
    yaml: replaceOnce(exampleYaml, '>=21.0.0 <21.2.1', '>=21.3.0 <21.2.1'),
    path: 'affected-products[0].version',
    marker: '>=21.3.0 <21.2.1',
    message: /bad version range: clause 2 .*lower bound 21\.3\.0 is not below upper bound 21\.2\.1/,
  },
  {
    name: 'bad version range (no operator)',
    yaml: replaceOnce(exampleYaml, '==22.0.0', '22.0.0'),
    path: 'affected-products[0].version',
    marker: '<20.2.1, >=21.0.0',
    message: /clause 3 .*"22\.0\.0" has no operator/,
  },
  {
    name: 'bad version range (exclusive lower bound)',
    yaml: replaceOnce(exampleYaml, '>=26.0.0 <26.1.2', '>26.0.0 <26.1.2'),
    path: 'affected-products[1].version',
    marker: '>26.0.0 <26.1.2',
    message: /exclusive lower bound/,
  },
  {
    name: 'non-SemVer version without an ecosystem',
    yaml: replaceOnce(fixture('minimal.yaml'), '">=1.2.0 <1.4.3"', '">=1.2 <1.4.3"'),
    path: 'affected-products[0].version',
    marker: '>=1.2 <1.4.3',
    message: /1\.2 is not SemVer.*ecosystem/,
  },
  {
    name: 'unknown top-level field',
    yaml: replaceOnce(exampleYaml, 'vendor: OpenStack\n', 'vendor: OpenStack\nseverity: high\n'),
    path: 'severity',
    marker: 'severity: high',
    message: /unknown field "severity"/,
  },
  {
    name: 'unknown nested field',
    yaml: replaceOnce(exampleYaml, '    cwe: CWE-284\n', '    cwe: CWE-284\n    cwss: 12\n'),
    path: 'vulnerabilities[0].cwss',
    marker: 'cwss: 12',
    message: /unknown field "cwss".*allowed here: cve-id, note, cwe, cvss/,
  },
  {
    name: 'bad CVE ID format',
    yaml: replaceOnce(exampleYaml, '  - cve-id: CVE-2026-2088', '  - cve-id: CVE-26-2088'),
    path: 'vulnerabilities[0].cve-id',
    marker: 'cve-id: CVE-26-2088',
    message: /"CVE-26-2088" must be a CVE ID: CVE-YYYY-NNNN/,
  },
  {
    name: 'bad CVE ID in a reporter list',
    yaml: replaceOnce(exampleYaml, '      - CVE-2026-2088\n  - name: Gorka', '      - CVE-2026-208\n  - name: Gorka'),
    path: 'reporters[0].reported[0]',
    marker: '- CVE-2026-208\n'.trim(),
    message: /must be a CVE ID/,
  },
  {
    name: 'reporter credited for a CVE the advisory does not list',
    yaml: replaceOnce(exampleYaml, '      - CVE-2026-2088\n  - name: Gorka', '      - CVE-2026-9999\n  - name: Gorka'),
    path: 'reporters[0].reported[0]',
    marker: 'CVE-2026-9999',
    message: /not one of this advisory's vulnerabilities/,
  },
  {
    name: 'CR/LF in the title (header injection)',
    yaml: replaceOnce(exampleYaml, 'title: Unauthorized volume access through deleted volume attachments', 'title: "Unauthorized access\\r\\nBcc: victim@example.org"'),
    path: 'title',
    marker: 'title:',
    message: /single line.*inject headers/,
  },
  {
    name: 'class A with kind security-note',
    yaml: replaceOnce(exampleYaml, 'kind: advisory ', 'kind: security-note '),
    path: 'kind',
    marker: 'kind: security-note',
    message: /security-note needs class B1/,
  },
  {
    name: 'class E is not published',
    yaml: replaceOnce(exampleYaml, 'class: A', 'class: E'),
    path: 'class',
    marker: 'class: E',
    message: /closed without publication/,
  },
  {
    name: 'missing required field',
    yaml: replaceOnce(exampleYaml, 'date: 2026-03-14\n', ''),
    path: 'date',
    marker: 'id: OSSA-2026-001',
    message: /is required/,
  },
  {
    name: 'impossible date',
    yaml: replaceOnce(exampleYaml, 'date: 2026-03-14', 'date: 2026-02-30'),
    path: 'date',
    marker: 'date: 2026-02-30',
    message: /not a calendar date/,
  },
  {
    // v4.0 base vectors are accepted (issue 18); threat/environmental metrics are not
    name: 'CVSS v4 vector with a threat metric',
    yaml: replaceOnce(exampleYaml, 'CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:N', 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:A'),
    path: 'vulnerabilities[0].cvss',
    marker: 'cvss: CVSS:4.0',
    message: /E is a threat, environmental or supplemental metric/,
  },
  {
    name: 'javascript: URL in a link',
    yaml: replaceOnce(exampleYaml, 'https://launchpad.net/bugs/2004555', 'javascript:alert(1)'),
    path: 'issues.links[0]',
    marker: 'javascript:alert(1)',
    message: /must be an http:\/\/ or https:\/\/ URL/,
  },
  {
    name: 'review series entry that is not a URL',
    yaml: replaceOnce(exampleYaml, '    - https://review.opendev.org/882836', '    - review 882836'),
    path: 'reviews["2025.2/epoxy"][0]',
    marker: '- review 882836',
    message: /URL/,
  },
  {
    name: 'advisory-only document using a security-note field',
    yaml: `${exampleYaml}discussion: something\n`,
    path: 'discussion',
    marker: 'discussion: something',
    message: /only used by security notes/,
  },
  {
    name: 'YAML syntax error (duplicate key)',
    yaml: `${exampleYaml}title: again\n`,
    path: '(document)',
    marker: 'title: again',
    message: /YAML syntax: Map keys must be unique/,
  },
];

for (const c of cases) {
  t.test(`bad input: ${c.name}`, async (t) => {
    const r = parseAdvisory(c.yaml);
    t.notOk(r.ok, 'is rejected');
    const errs = errorsOf(r);
    const hit = errs.find((e) => e.path === c.path && c.message.test(e.message));
    t.ok(hit, `an error at ${c.path} matching ${c.message}; got ${JSON.stringify(errs, null, 2)}`);
    t.equal(hit?.line, lineOf(c.yaml, c.marker), `line points at ${JSON.stringify(c.marker)}`);
  });
}

t.test('a note without discussion names both missing sections', async (t) => {
  const yaml = fixture('note.yaml').replace(/^discussion: \|\n(?: {2}.*\n|\n)+/m, '');
  const r = parseAdvisory(yaml);
  t.same(errorsOf(r).map((e) => e.path), ['discussion']);
});

t.test('never throws on garbage', async (t) => {
  for (const input of ['', '- a list', 'just text', '{{{', 'a: *nope', 'id: [1, 2', '\u0000\u0001']) {
    const r = parseAdvisory(input);
    t.notOk(r.ok, JSON.stringify(input));
    t.ok(errorsOf(r).every((e) => typeof e.path === 'string' && e.message.length > 0));
  }
  // A (hypothetical) caller passing a non-string must still get errors, not an exception.
  t.notOk(parseAdvisory(undefined as unknown as string).ok);
});

t.test('values stay text: version 2.0 is not turned into the number 2', async (t) => {
  const yaml = replaceOnce(fixture('minimal.yaml'), 'version: ">=1.2.0 <1.4.3"', 'version: ==2.0.0');
  const r = parseAdvisory(yaml);
  t.equal(r.ok && r.advisory.affectedProducts[0]?.version, '==2.0.0');
});
