/**
 * OSV records (osv-schema 1.7). Our advisory IDs are not a registered OSV prefix, so the record
 * id is `x_` + advisory id (the schema's local prefix) and the CVE IDs go in `aliases`; see
 * docs/advisory-format.md, "OSV".
 */
import { isSemver } from './ranges.js';
import type { Advisory, AffectedProduct, VersionClause } from './types.js';
import { cveUrl, modifiedDate, pageFile, paragraphs, type RenderOptions } from './view.js';

export const OSV_SCHEMA_VERSION = '1.7.0';

/** The OSV id of an advisory. */
export function osvId(adv: Pick<Advisory, 'id'>): string {
  return `x_${adv.id}`;
}

type Event = { introduced: string } | { fixed: string } | { last_affected: string };

function events(c: VersionClause): Event[] {
  const out: Event[] = [{ introduced: c.introduced ?? '0' }];
  if (c.fixed !== undefined) out.push({ fixed: c.fixed });
  if (c.lastAffected !== undefined) out.push({ last_affected: c.lastAffected });
  return out;
}

function affected(p: AffectedProduct, adv: Advisory): Record<string, unknown> {
  const ranged = p.clauses.filter((c) => c.exact === undefined);
  const exact = p.clauses.flatMap((c) => (c.exact !== undefined ? [c.exact] : []));
  // Without an ecosystem the loader has already required SemVer versions, so SEMVER is exact.
  const type = p.ecosystem !== undefined ? 'ECOSYSTEM' : 'SEMVER';
  const out: Record<string, unknown> = {};
  if (p.ecosystem !== undefined) out.package = { ecosystem: p.ecosystem, name: p.package ?? p.product };
  // One range per clause: a range may not mix `fixed` and `last_affected` events.
  if (ranged.length > 0) out.ranges = ranged.map((c) => ({ type, events: events(c) }));
  if (exact.length > 0) out.versions = exact;
  out.database_specific = {
    product: p.product,
    vendor: p.vendor ?? adv.vendor ?? null,
    version_range: p.version,
    semver: p.clauses.every((c) => [c.exact, c.fixed, c.lastAffected].every((v) => v === undefined || isSemver(v))),
  };
  return out;
}

function details(adv: Advisory): string {
  const parts = [adv.description];
  for (const v of adv.vulnerabilities) if (v.note) parts.push(`${v.cveId}: ${v.note}`);
  if (adv.discussion) parts.push(adv.discussion);
  if (adv.recommendedActions) parts.push(`Recommended actions:\n\n${adv.recommendedActions}`);
  return parts.join('\n\n');
}

/**
 * The OSV record of an advisory. Guarantees: valid against osv-schema 1.7 for any advisory that
 * parseAdvisory accepted; deterministic (timestamps come from the advisory's dates, not a clock).
 */
export function toOsv(adv: Advisory, opts: RenderOptions = {}): Record<string, unknown> {
  const vectors = [...new Set(adv.vulnerabilities.flatMap((v) => (v.cvss ? [v.cvss] : [])))];
  const refs: Array<{ type: string; url: string }> = [];
  if (opts.siteUrl) refs.push({ type: 'ADVISORY', url: new URL(pageFile(adv), opts.siteUrl.endsWith('/') ? opts.siteUrl : `${opts.siteUrl}/`).href });
  for (const u of adv.issues.links) refs.push({ type: 'REPORT', url: u });
  for (const r of adv.reviews) for (const u of r.links) refs.push({ type: 'FIX', url: u });
  for (const v of adv.vulnerabilities) refs.push({ type: 'WEB', url: cveUrl(v.cveId) });
  const record: Record<string, unknown> = {
    schema_version: OSV_SCHEMA_VERSION,
    id: osvId(adv),
    modified: `${modifiedDate(adv)}T00:00:00Z`,
    published: `${adv.date}T00:00:00Z`,
    aliases: adv.vulnerabilities.map((v) => v.cveId),
    summary: adv.title,
    details: details(adv),
  };
  // One top-level severity is only meaningful when every CVE shares the vector; otherwise the
  // per-CVE vectors stay in database_specific rather than pretending one applies to all.
  if (vectors.length === 1 && adv.vulnerabilities.every((v) => v.cvss === vectors[0])) {
    record.severity = [{ type: vectors[0]?.startsWith('CVSS:4.0/') ? 'CVSS_V4' : 'CVSS_V3', score: vectors[0] }];
  }
  record.affected = adv.affectedProducts.map((p) => affected(p, adv));
  record.references = refs;
  record.credits = [
    ...adv.reporters.map((r) => ({ name: r.affiliation ? `${r.name} (${r.affiliation})` : r.name, type: 'REPORTER' })),
    ...adv.credits.map((c) => ({
      name: c.affiliation ? `${c.name} (${c.affiliation})` : c.name,
      type: c.type,
      ...(c.contact.length > 0 ? { contact: c.contact } : {}),
    })),
  ];
  record.database_specific = {
    advisory_id: adv.id,
    kind: adv.kind,
    class: adv.class,
    vulnerabilities: adv.vulnerabilities.map((v) => ({ cve: v.cveId, cwe: v.cwe ?? null, cvss: v.cvss ?? null })),
    summary: paragraphs(adv.description)[0] ?? '',
  };
  return record;
}
