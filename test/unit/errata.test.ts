// The pure decisions behind errata and the public page: when a revision is an erratum, how errata
// are dated, which severity a reader sees, and which text becomes a link.
import t from 'tap';
import fc from 'fast-check';
import { erratumRevision, plan, type PlanCase } from '../../src/scheduler/planner.js';
import { withErrata } from '../../src/advisories/published.js';
import { advisorySeverity, cweUrl, linkParts, modifiedDate } from '../../src/advisories/view.js';
import { parseAdvisory, type Advisory } from '../../src/advisories/index.js';

const yaml = `id: SEC-2026-0900
class: A
date: 2026-01-20
title: t
description: d
affected-products:
  - product: libfoo
    version: "<1.0.1"
vulnerabilities:
  - cve-id: CVE-2026-10901
    cvss: CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:N
  - cve-id: CVE-2026-10902
    cvss: CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N
reporters:
  - name: Ann
issues:
  links:
    - https://bugs.example.org/1
`;
const parsed = parseAdvisory(yaml);
if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
const adv: Advisory = parsed.advisory;

t.test('erratumRevision: only a newer approved revision of a published or closed case', async (t) => {
  const c = { state: 'published', advisory: { revision: 2, state: 'approved', approvedAt: null }, publishedRevision: 1 };
  t.equal(erratumRevision(c), 2);
  t.equal(erratumRevision({ ...c, state: 'closed' }), 2, 'a closed case still gets its correction out');
  t.equal(erratumRevision({ ...c, advisory: { ...c.advisory, state: 'draft' } }), null, 'a draft never leaves');
  t.equal(erratumRevision({ ...c, publishedRevision: 2 }), null, 'already published');
  t.equal(erratumRevision({ ...c, publishedRevision: null }), null, 'never published: that is the first publication, not an erratum');
  t.equal(erratumRevision({ ...c, state: 'accepted' }), null, 'reopened: a new disclosure, not an erratum');
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), fc.constantFrom('draft', 'approved', 'published', 'withdrawn'), fc.constantFrom('published', 'closed', 'scheduled', 'accepted'), (rev, pub, st, cs) => {
      const r = erratumRevision({ state: cs, advisory: { revision: rev, state: st, approvedAt: null }, publishedRevision: pub });
      return r === null || (r === rev && rev > pub && st === 'approved');
    }),
  );
});

t.test('plan: an erratum is planned once per revision, and never as a second publish', async (t) => {
  const now = new Date('2027-02-01T10:00:00Z');
  const c: PlanCase = { id: 'C', state: 'published', createdAt: new Date('2027-01-01T00:00:00Z'), embargo: new Date('2027-01-20T15:00:00Z'), leakedAt: null, overridden: false, advisory: { revision: 3, state: 'approved', approvedAt: null }, publishedRevision: 2, stakeholders: [] };
  const input = { now, cases: [c], done: new Set<string>(['publish:C']), announced: [], stakeholders: [], maxEmbargoDays: 90, coordinators: [], digestMinute: null };
  t.same(plan(input), [{ kind: 'errata', key: 'errata:C:3', caseId: 'C', revision: 3 }]);
  t.same(plan({ ...input, done: new Set(['publish:C', 'errata:C:3']) }), [], 'once');
  t.same(plan({ ...input, cases: [{ ...c, publishedRevision: null }], done: new Set() }), [{ kind: 'publish', key: 'publish:C', caseId: 'C' }], 'X-PUBLISH without an advisory, then approval: the first publication');
});

t.test('withErrata: dated as first published, one entry per later publication, the YAML supplies the wording', async (t) => {
  const first = withErrata(adv, '2027-01-20', []);
  t.equal(first.date, '2027-01-20');
  t.same(first.errataHistory, []);
  const one = withErrata(adv, '2027-01-20', ['2027-02-03']);
  t.same(one.errataHistory, [{ date: '2027-02-03', text: 'Errata 1' }]);
  t.equal(modifiedDate(one), '2027-02-03', 'records and feed follow the errata day');
  const worded = withErrata({ ...adv, errataHistory: [{ date: '2026-01-01', text: 'Fixed version corrected' }] }, '2027-01-20', ['2027-02-03']);
  t.same(worded.errataHistory, [{ date: '2027-02-03', text: 'Fixed version corrected' }], 'the YAML date is replaced by the day it went out');
  const two = withErrata({ ...adv, errataHistory: [{ date: '2026-01-01', text: 'Errata 1' }] }, '2027-01-20', ['2027-02-03', '2027-03-01']);
  t.same(two.errataHistory, [{ date: '2027-02-03', text: 'Errata 1' }, { date: '2027-03-01', text: 'Errata 2' }]);
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: 28 }), { maxLength: 5 }), fc.array(fc.integer({ min: 1, max: 28 }), { maxLength: 5 }), (yamlDays, pubDays) => {
      const day = (d: number): string => `2027-02-${String(d).padStart(2, '0')}`;
      const days = [...pubDays].sort((a, b) => a - b).map(day);
      const out = withErrata({ ...adv, errataHistory: yamlDays.map((d, i) => ({ date: day(d), text: `y${i}` })) }, '2027-01-20', days);
      const dates = out.errataHistory.map((h) => h.date);
      // Every publication is in the history with its day; nothing is lost.
      return out.date === '2027-01-20' && days.every((d) => dates.includes(d)) && out.errataHistory.length === Math.max(days.length, yamlDays.length);
    }),
  );
});

t.test('severity: the case first, else the highest CVSS; CWE links; URLs in text', async (t) => {
  t.equal(advisorySeverity(adv), 'HIGH', 'the highest of 8.1 HIGH and a LOW');
  t.equal(advisorySeverity(adv, 'medium'), 'MEDIUM', "the case's own severity wins");
  t.equal(advisorySeverity({ ...adv, vulnerabilities: [] }), null);
  t.equal(cweUrl('CWE-79'), 'https://cwe.mitre.org/data/definitions/79.html');
  t.equal(cweUrl('NVD-CWE-Other'), null);
  t.same(linkParts('See https://x.example/a_(b). Or (https://y.example/c), done'), [
    { text: 'See ', url: null },
    { text: 'https://x.example/a_(b)', url: 'https://x.example/a_(b)' },
    { text: '. Or (', url: null },
    { text: 'https://y.example/c', url: 'https://y.example/c' },
    { text: '), done', url: null },
  ]);
  t.same(linkParts('javascript:alert(1) ftp://x'), [{ text: 'javascript:alert(1) ftp://x', url: null }], 'only http(s) becomes a link');
  fc.assert(fc.property(fc.string(), (s) => linkParts(s).map((p) => p.text).join('') === s && linkParts(s).every((p) => p.url === null || /^https?:\/\//.test(p.url))));
});
