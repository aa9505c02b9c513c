/**
 * CVE JSON 5.1 records: one PUBLISHED record per CVE of the advisory, holding the CNA container
 * only (ADP containers are added by others).
 */
import { cvssJson, parseCvss } from './cvss.js';
import { cvss4Json } from './cvss4.js';
import type { Advisory, AffectedProduct, Vulnerability } from './types.js';
import { creditLabel, modifiedDate, pageFile, type RenderOptions } from './view.js';

/**
 * The assigner org UUID used when none is configured. It is a syntactically valid v4 UUID that
 * belongs to nobody: records carrying it must not be submitted to CVE Services as they are.
 */
export const PLACEHOLDER_ASSIGNER_ORG_ID = '00000000-0000-4000-8000-000000000000';

const UUID_V4 = /^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-4[0-9A-Fa-f]{3}-[89ABab][0-9A-Fa-f]{3}-[0-9A-Fa-f]{12}$/;

/** CVE `versionType` per OSV ecosystem; SemVer when there is no ecosystem (the loader enforced it). */
const VERSION_TYPES: Record<string, string> = {
  PyPI: 'python', Maven: 'maven', npm: 'semver', 'crates.io': 'semver', Go: 'semver', NuGet: 'nuget',
  RubyGems: 'gem', Debian: 'dpkg', Ubuntu: 'dpkg', 'Red Hat': 'rpm', AlmaLinux: 'rpm', 'Rocky Linux': 'rpm', SUSE: 'rpm', openSUSE: 'rpm',
};

function versionType(p: AffectedProduct): string {
  if (p.ecosystem === undefined) return 'semver';
  return VERSION_TYPES[p.ecosystem.split(':')[0] ?? ''] ?? 'custom';
}

function product(p: AffectedProduct, adv: Advisory): Record<string, unknown> {
  const versionType_ = versionType(p);
  const versions = p.clauses.map((c) => {
    if (c.exact !== undefined) return { version: c.exact, status: 'affected' };
    const base = { version: c.introduced ?? '0', status: 'affected', versionType: versionType_ };
    if (c.lastAffected !== undefined) return { ...base, lessThanOrEqual: c.lastAffected };
    // "*" is the schema's "arbitrarily large version": no fix is known yet.
    return { ...base, lessThan: c.fixed ?? '*' };
  });
  const unique = [...new Map(versions.map((v) => [JSON.stringify(v), v])).values()];
  return { vendor: p.vendor ?? adv.vendor ?? 'N/A', product: p.product, versions: unique, defaultStatus: 'unaffected' };
}

function timestamp(d: string): string {
  return /^\d{4}-\d{2}-\d{2}$/.test(d) ? `${d}T00:00:00.000Z` : new Date(d).toISOString();
}

function record(adv: Advisory, v: Vulnerability, opts: RenderOptions, org: string): Record<string, unknown> {
  const refs = new Map<string, { url: string; tags: string[] }>();
  const add = (url: string, tag: string): void => {
    const r = refs.get(url);
    if (r) r.tags = [...new Set([...r.tags, tag])];
    else refs.set(url, { url, tags: [tag] });
  };
  if (opts.siteUrl) add(new URL(pageFile(adv), opts.siteUrl.endsWith('/') ? opts.siteUrl : `${opts.siteUrl}/`).href, 'vendor-advisory');
  adv.issues.links.forEach((u) => add(u, 'issue-tracking'));
  adv.reviews.forEach((r) => r.links.forEach((u) => add(u, 'patch')));

  const credits = [
    ...adv.reporters.filter((r) => r.reported.includes(v.cveId)).map((r) => ({ lang: 'en', value: r.affiliation ? `${r.name} (${r.affiliation})` : r.name, type: 'reporter' })),
    ...adv.credits.map((c) => ({ lang: 'en', value: c.affiliation ? `${c.name} (${c.affiliation})` : c.name, type: creditLabel(c.type) })),
  ];
  const uniqueCredits = [...new Map(credits.map((c) => [JSON.stringify(c), c])).values()];

  const cna: Record<string, unknown> = {
    providerMetadata: { orgId: org, ...(opts.assignerShortName ? { shortName: opts.assignerShortName } : {}) },
    title: adv.title,
    datePublic: timestamp(adv.date),
    descriptions: [{ lang: 'en', value: v.note ? `${adv.description}\n\n${v.note}` : adv.description }],
    affected: adv.affectedProducts.map((p) => product(p, adv)),
    references: [...refs.values()],
  };
  if (v.cwe) cna.problemTypes = [{ descriptions: [{ lang: 'en', type: 'CWE', cweId: v.cwe, description: v.cwe }] }];
  if (v.cvss) {
    const c = parseCvss(v.cvss);
    if (typeof c !== 'string') {
      const metric = c.version === '4.0' ? { cvssV4_0: cvss4Json(c) } : { [c.version === '3.1' ? 'cvssV3_1' : 'cvssV3_0']: cvssJson(c) };
      cna.metrics = [{ format: 'CVSS', scenarios: [{ lang: 'en', value: 'GENERAL' }], ...metric }];
    }
  }
  if (uniqueCredits.length > 0) cna.credits = uniqueCredits;
  if (opts.timeline && opts.timeline.length > 0) {
    const events = opts.timeline.map((t) => ({ time: timestamp(t.date), lang: 'en', value: t.event }));
    cna.timeline = [...new Map(events.map((e) => [JSON.stringify(e), e])).values()];
  }
  cna.x_generator = { engine: 'vmtd', advisory: adv.id };
  return {
    dataType: 'CVE_RECORD',
    dataVersion: '5.1',
    cveMetadata: {
      cveId: v.cveId,
      assignerOrgId: org,
      ...(opts.assignerShortName ? { assignerShortName: opts.assignerShortName } : {}),
      state: 'PUBLISHED',
      datePublished: timestamp(adv.date),
      dateUpdated: timestamp(modifiedDate(adv)),
    },
    containers: { cna },
  };
}

/**
 * One CVE JSON 5.1 record per CVE, in the advisory's order (none for a note without CVEs).
 * Guarantees: valid against the CVE JSON 5.1 bundled schema for any advisory parseAdvisory
 * accepted. Throws Error when `opts.assignerOrgId` is not a v4 UUID, or a timeline date is
 * not a date.
 */
export function toCveRecords(adv: Advisory, opts: RenderOptions = {}): Array<{ cveId: string; record: Record<string, unknown> }> {
  const org = opts.assignerOrgId ?? PLACEHOLDER_ASSIGNER_ORG_ID;
  if (!UUID_V4.test(org)) throw new Error(`assignerOrgId ${JSON.stringify(org)} is not a version 4 UUID`);
  for (const t of opts.timeline ?? []) {
    if (Number.isNaN(Date.parse(t.date))) throw new Error(`timeline date ${JSON.stringify(t.date)} is not a date`);
  }
  return adv.vulnerabilities.map((v) => ({ cveId: v.cveId, record: record(adv, v, opts, org) }));
}
