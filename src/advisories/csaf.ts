/**
 * CSAF 2.0 documents (profile `csaf_security_advisory`) and the provider metadata a CSAF
 * aggregator reads. Deterministic: every date comes from the advisory, never from a clock.
 * Decisions: docs/advisory-format.md, "CSAF".
 */
import { cvssJson, parseCvss } from './cvss.js';
import { cweName } from './cwe.js';
import type { Advisory, AffectedProduct, VersionClause } from './types.js';
import { creditLabel, cveUrl, modifiedDate, pageFile, paragraphs, type RenderOptions } from './view.js';

export const CSAF_VERSION = '2.0';

/** Who publishes the documents (document.publisher). */
export interface CsafPublisher {
  /** e.g. the team's name */
  name: string;
  /** the publisher's URL (its namespace), e.g. https://security.example.org */
  namespace: string;
  category?: 'coordinator' | 'discoverer' | 'other' | 'translator' | 'user' | 'vendor';
  contactDetails?: string;
}

export interface CsafOptions extends RenderOptions {
  publisher?: CsafPublisher;
}

/** The publisher used when none is given: the advisory's vendor under a namespace that is no one's. */
export const PLACEHOLDER_NAMESPACE = 'https://example.invalid';

/** The TLP label of everything vmtd publishes: the directory name in the CSAF layout (§7.1.11). */
export const CSAF_TLP_DIR = 'white';

/** CSAF §5.1: the file name of a document is its tracking id, lower-cased, [^+\-a-z0-9] as `_`. */
export function csafFileName(adv: Pick<Advisory, 'id'>): string {
  return `${adv.id.toLowerCase().replace(/[^+\-a-z0-9]+/g, '_')}.json`;
}

/** The document's path under `.well-known/csaf/` (§7.1.11): `white/YEAR/id.json`, YEAR of the initial release. */
export function csafDistributionPath(adv: Pick<Advisory, 'id' | 'date'>): string {
  return `${CSAF_TLP_DIR}/${adv.date.slice(0, 4)}/${csafFileName(adv)}`;
}

function base(siteUrl: string): string {
  return siteUrl.endsWith('/') ? siteUrl : `${siteUrl}/`;
}

/** The URL of `.well-known/csaf/` for a site, or undefined when the site URL is unknown. */
export function csafBaseUrl(siteUrl: string | undefined): string | undefined {
  return siteUrl ? new URL('.well-known/csaf/', base(siteUrl)).href : undefined;
}

/** vers (package-url/vers-spec) scheme per OSV ecosystem; `generic` for anything unknown. */
const VERS_SCHEMES: Record<string, string> = {
  PyPI: 'pypi', npm: 'npm', Maven: 'maven', 'crates.io': 'cargo', Go: 'golang', NuGet: 'nuget', RubyGems: 'gem',
  Debian: 'deb', Ubuntu: 'deb', 'Red Hat': 'rpm', AlmaLinux: 'rpm', 'Rocky Linux': 'rpm', SUSE: 'rpm', openSUSE: 'rpm',
};

function versScheme(p: AffectedProduct): string {
  if (p.ecosystem === undefined) return 'semver';
  return VERS_SCHEMES[p.ecosystem.split(':')[0] ?? ''] ?? 'generic';
}

/** A range clause as a vers string, e.g. `vers:pypi/>=21.0.0|<21.2.1`. */
function vers(p: AffectedProduct, c: VersionClause): string {
  const parts: string[] = [];
  if (c.introduced !== undefined && c.introduced !== '0') parts.push(`>=${c.introduced}`);
  if (c.fixed !== undefined) parts.push(`<${c.fixed}`);
  if (c.lastAffected !== undefined) parts.push(`<=${c.lastAffected}`);
  return `vers:${versScheme(p)}/${parts.length > 0 ? parts.join('|') : '*'}`;
}

interface Leaf {
  category: 'product_version' | 'product_version_range';
  name: string;
  product: { name: string; product_id: string };
}

interface ProductTree {
  tree: Record<string, unknown>;
  affected: string[];
  fixed: string[];
  /** fixed version -> product ids, per product index */
  fixes: Array<{ product: AffectedProduct; version: string; id: string; affectedIds: string[] }>;
}

/** Vendor → product name → version (range) branches; one product ID per affected clause and per fixed version. */
function productTree(adv: Advisory): ProductTree {
  let n = 0;
  const nextId = (): string => `CSAFPID-${String(++n).padStart(4, '0')}`;
  const vendors = new Map<string, Array<{ category: 'product_name'; name: string; branches: Leaf[] }>>();
  const affected: string[] = [];
  const fixed: string[] = [];
  const fixes: ProductTree['fixes'] = [];
  for (const p of adv.affectedProducts) {
    const vendor = p.vendor ?? adv.vendor ?? 'N/A';
    const leaves: Leaf[] = [];
    const seen = new Set<string>();
    const affectedIds: string[] = [];
    const leaf = (category: Leaf['category'], name: string): string | undefined => {
      const key = `${category} ${name}`;
      if (seen.has(key)) return undefined;
      seen.add(key);
      const id = nextId();
      leaves.push({ category, name, product: { name: `${vendor} ${p.product} ${name}`, product_id: id } });
      return id;
    };
    for (const c of p.clauses) {
      const id = c.exact !== undefined ? leaf('product_version', c.exact) : leaf('product_version_range', vers(p, c));
      if (id) {
        affected.push(id);
        affectedIds.push(id);
      }
    }
    for (const c of p.clauses) {
      if (c.fixed === undefined) continue;
      const id = leaf('product_version', c.fixed);
      if (id) {
        fixed.push(id);
        fixes.push({ product: p, version: c.fixed, id, affectedIds });
      }
    }
    const products = vendors.get(vendor) ?? [];
    const same = products.find((x) => x.name === p.product);
    if (same) same.branches.push(...leaves);
    else products.push({ category: 'product_name', name: p.product, branches: leaves });
    vendors.set(vendor, products);
  }
  const tree = { branches: [...vendors].map(([name, branches]) => ({ category: 'vendor', name, branches })) };
  return { tree, affected, fixed, fixes };
}

function timestamp(d: string): string {
  return `${d}T00:00:00.000Z`;
}

function who(name: string, affiliation: string | undefined): { names: string[]; organization?: string } {
  return affiliation ? { names: [name], organization: affiliation } : { names: [name] };
}

/**
 * The CSAF 2.0 document of an advisory. Guarantees: valid against the CSAF 2.0 JSON schema for
 * any advisory parseAdvisory accepted, with every product ID it references defined in its
 * product tree; a security note without CVEs still has one vulnerability item (the profile
 * requires one) carrying its notes and product status.
 */
export function toCsaf(adv: Advisory, opts: CsafOptions = {}): Record<string, unknown> {
  const publisher = opts.publisher ?? { name: adv.vendor ?? 'vmtd', namespace: PLACEHOLDER_NAMESPACE };
  const { tree, affected, fixed, fixes } = productTree(adv);
  const csafBase = csafBaseUrl(opts.siteUrl);

  const history = [...adv.errataHistory].sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  const revisions = [
    { date: timestamp(adv.date), number: '1', summary: 'Initial version.' },
    ...history.map((h, i) => ({ date: timestamp(h.date), number: String(i + 2), summary: h.text })),
  ];

  const references: Array<{ category: 'self' | 'external'; summary: string; url: string }> = [];
  if (csafBase) references.push({ category: 'self', summary: 'This CSAF document', url: new URL(csafDistributionPath(adv), csafBase).href });
  if (opts.siteUrl) references.push({ category: 'external', summary: 'Advisory page', url: new URL(pageFile(adv), base(opts.siteUrl)).href });
  for (const u of adv.issues.links) references.push({ category: 'external', summary: 'Issue report', url: u });
  for (const r of adv.reviews) for (const u of r.links) references.push({ category: 'external', summary: `Patch (${r.series})`, url: u });
  for (const v of adv.vulnerabilities) references.push({ category: 'external', summary: v.cveId, url: cveUrl(v.cveId) });

  const notes: Array<{ category: string; text: string; title: string }> = [
    { category: 'summary', title: 'Summary', text: paragraphs(adv.description)[0] ?? adv.title },
    { category: 'description', title: 'Description', text: adv.description.trim() },
  ];
  if (adv.discussion) notes.push({ category: 'details', title: 'Discussion', text: adv.discussion.trim() });
  if (adv.recommendedActions) notes.push({ category: 'general', title: 'Recommended actions', text: adv.recommendedActions.trim() });
  adv.notes.forEach((text, i) => notes.push({ category: 'general', title: `Note ${i + 1}`, text: text.trim() }));
  if (adv.errata) notes.push({ category: 'general', title: 'Errata', text: adv.errata.trim() });
  notes.push({ category: 'other', title: 'Report class', text: `${adv.kind === 'advisory' ? 'Advisory' : 'Security note'}, class ${adv.class} (OpenStack VMT taxonomy).` });

  const publisherJson: Record<string, unknown> = { category: publisher.category ?? 'coordinator', name: publisher.name, namespace: publisher.namespace };
  if (publisher.contactDetails) publisherJson.contact_details = publisher.contactDetails;

  const document: Record<string, unknown> = {
    category: 'csaf_security_advisory',
    csaf_version: CSAF_VERSION,
    distribution: { tlp: { label: 'WHITE', url: 'https://www.first.org/tlp/' } },
    lang: 'en',
    notes,
    publisher: publisherJson,
    references,
    title: adv.title,
    tracking: {
      current_release_date: timestamp(modifiedDate(adv)),
      generator: { engine: { name: 'vmtd' } },
      id: adv.id,
      initial_release_date: timestamp(adv.date),
      revision_history: revisions,
      status: 'final',
      version: String(revisions.length),
    },
  };

  const remediations = (): Array<Record<string, unknown>> => {
    const out: Array<Record<string, unknown>> = [];
    for (const f of fixes) {
      out.push({ category: 'vendor_fix', details: `Update ${f.product.product} to version ${f.version} or later.`, product_ids: f.affectedIds });
    }
    for (const r of adv.reviews) {
      for (const u of r.links) out.push({ category: 'vendor_fix', details: `Patch for ${r.series}.`, product_ids: affected, url: u });
    }
    if (out.length === 0 && adv.recommendedActions && affected.length > 0) {
      out.push({ category: 'mitigation', details: adv.recommendedActions.trim(), product_ids: affected });
    }
    return out;
  };

  const status = (): Record<string, string[]> => {
    const s: Record<string, string[]> = {};
    if (affected.length > 0) s.known_affected = affected;
    if (fixed.length > 0) s.fixed = fixed;
    return s;
  };

  const acknowledgments = (cveId: string | undefined): Array<Record<string, unknown>> => [
    ...adv.reporters.filter((r) => cveId === undefined || r.reported.includes(cveId)).map((r) => ({ ...who(r.name, r.affiliation), summary: 'reporter' })),
    ...adv.credits.map((c) => ({ ...who(c.name, c.affiliation), summary: creditLabel(c.type) })),
  ];

  const item = (v: Advisory['vulnerabilities'][number] | undefined): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    const acks = acknowledgments(v?.cveId);
    if (acks.length > 0) out.acknowledgments = acks;
    if (v) out.cve = v.cveId;
    if (v?.cwe) out.cwe = { id: v.cwe, name: cweName(v.cwe) };
    out.notes = [{ category: 'description', title: 'Vulnerability description', text: v?.note ? `${adv.description.trim()}\n\n${v.note.trim()}` : adv.description.trim() }];
    const st = status();
    if (Object.keys(st).length > 0) out.product_status = st;
    if (v) out.references = [{ category: 'external', summary: v.cveId, url: cveUrl(v.cveId) }];
    out.release_date = timestamp(adv.date);
    const rem = remediations();
    if (rem.length > 0) out.remediations = rem;
    if (v?.cvss && affected.length > 0) {
      const c = parseCvss(v.cvss);
      // CSAF 2.0 has no cvss_v4 score: a v4.0 vector is kept as a note (docs/advisory-format.md)
      if (typeof c !== 'string' && c.version !== '4.0') out.scores = [{ cvss_v3: cvssJson(c), products: affected }];
      else if (typeof c !== 'string') out.notes = [...(out.notes as object[]), { category: 'other', title: 'CVSS v4.0', text: `CVSS v4.0 base score ${c.baseScore.toFixed(1)} (${c.baseSeverity}): ${c.vector}` }];
    }
    out.title = v ? `${v.cveId}: ${adv.title}` : adv.title;
    return out;
  };

  const result: Record<string, unknown> = { document };
  if (adv.affectedProducts.length > 0) result.product_tree = tree;
  result.vulnerabilities = adv.vulnerabilities.length > 0 ? adv.vulnerabilities.map((v) => item(v)) : [item(undefined)];
  return result;
}

/** What provider-metadata.json says (CSAF 2.0 §7.1.20). */
export interface ProviderMetadataOptions {
  /** URL of `.well-known/csaf/` */
  csafBaseUrl: string;
  publisher: CsafPublisher;
  /** newest current_release_date of the documents, ISO 8601 */
  lastUpdated: string;
  /** the team key: fingerprint and the URL where it is published */
  openpgpKey?: { fingerprint: string; url: string };
}

/** provider-metadata.json for role `csaf_publisher`, one TLP:WHITE directory distribution. */
export function providerMetadata(o: ProviderMetadataOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {
    canonical_url: new URL('provider-metadata.json', o.csafBaseUrl).href,
    distributions: [{ directory_url: new URL(`${CSAF_TLP_DIR}/`, o.csafBaseUrl).href }],
    last_updated: o.lastUpdated,
    list_on_CSAF_aggregators: true,
    metadata_version: CSAF_VERSION,
    mirror_on_CSAF_aggregators: true,
    publisher: { category: o.publisher.category ?? 'coordinator', name: o.publisher.name, namespace: o.publisher.namespace },
    role: 'csaf_publisher',
  };
  if (o.openpgpKey) out.public_openpgp_keys = [{ fingerprint: o.openpgpKey.fingerprint.toUpperCase(), url: o.openpgpKey.url }];
  return out;
}
