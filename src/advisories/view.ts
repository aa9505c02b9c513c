/**
 * The data the templates see. Everything a template may print is prepared here (sorted, joined,
 * split into paragraphs), so templates hold wording and layout only. Every key is always present
 * (null or empty when unused) because the template engine treats an unknown name as a typo.
 */
import { parseCvss } from './cvss.js';
import type { Advisory, CreditType } from './types.js';

export interface RenderOptions {
  /** directory with the templates (default: templates/advisory under the package root) */
  templatesDir?: string;
  /** CVE JSON 5 `timeline` events; `date` is YYYY-MM-DD or an ISO 8601 timestamp */
  timeline?: Array<{ event: string; date: string }>;
  /** CNA organisation UUID for CVE records (default: PLACEHOLDER_ASSIGNER_ORG_ID) */
  assignerOrgId?: string;
  /** public base URL of the site, e.g. https://security.example.org/advisories/ (absolute links, Atom ids) */
  siteUrl?: string;
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** "2026-03-14" -> "March 14, 2026", the way OSSA mails write dates. */
export function longDate(d: string): string {
  const [y, m, day] = d.split('-');
  return `${MONTHS[Number(m) - 1] ?? m} ${Number(day)}, ${y}`;
}

/** The advisory's last change: its date or the newest errata date (YYYY-MM-DD). */
export function modifiedDate(adv: Advisory): string {
  return adv.errataHistory.reduce((max, h) => (h.date > max ? h.date : max), adv.date);
}

export function cveUrl(cve: string): string {
  return `https://www.cve.org/CVERecord?id=${encodeURIComponent(cve)}`;
}

/** "REMEDIATION_DEVELOPER" -> "remediation developer" (the CVE JSON 5 spelling, and readable). */
export function creditLabel(t: CreditType): string {
  return t.toLowerCase().replace(/_/g, ' ');
}

/** Blank-line separated paragraphs, each trimmed. */
export function paragraphs(s: string | undefined): string[] {
  return (s ?? '').split(/\n[ \t]*\n/).map((p) => p.replace(/^\n+|\s+$/g, '')).filter((p) => p !== '');
}

/**
 * Joins the lines of prose paragraphs (as rST would when rendering), so a `|` block written at
 * 78 columns re-wraps cleanly at 72. Paragraphs holding list items, indented lines or an rST
 * literal-block marker (`::`) keep their line breaks, since there the breaks carry meaning.
 */
export function reflow(s: string | undefined): string {
  if (s === undefined) return '';
  return s
    .split(/\n[ \t]*\n/)
    .map((p) => {
      const lines = p.split('\n');
      const structured = lines.some((l) => /^\s|^([-*+]|\d+[.)])\s/.test(l) || l.trimEnd().endsWith('::'));
      return structured ? p : lines.map((l) => l.trim()).join(' ');
    })
    .join('\n\n');
}

/** "Name from Affiliation" (OSSA wording) or just "Name". */
export function whoFrom(name: string, affiliation: string | undefined): string {
  return affiliation ? `${name} from ${affiliation}` : name;
}

export function pageFile(adv: Pick<Advisory, 'id'>): string {
  return `${adv.id}.html`;
}

/** The view model of one advisory for page.html, advisory.txt and note.txt. */
export function advisoryView(adv: Advisory, opts: RenderOptions = {}): Record<string, unknown> {
  const cves = adv.vulnerabilities.map((v) => v.cveId);
  const history = [...adv.errataHistory].sort((a, b) => (a.date < b.date ? 1 : a.date > b.date ? -1 : 0));
  return {
    id: adv.id,
    title: adv.title,
    date: adv.date,
    dateLong: longDate(adv.date),
    modified: modifiedDate(adv),
    kind: adv.kind,
    isNote: adv.kind === 'security-note',
    isAdvisory: adv.kind === 'advisory',
    class: adv.class,
    vendor: adv.vendor ?? null,
    cves,
    description: reflow(adv.description),
    descriptionParagraphs: paragraphs(reflow(adv.description)),
    affected: adv.affectedProducts.map((p) => ({
      product: p.product,
      vendor: p.vendor ?? adv.vendor ?? null,
      version: p.version,
      ecosystem: p.ecosystem ?? null,
    })),
    vulnerabilities: adv.vulnerabilities.map((v) => {
      const c = v.cvss ? parseCvss(v.cvss) : undefined;
      return {
        cveId: v.cveId,
        cveUrl: cveUrl(v.cveId),
        note: v.note ? reflow(v.note) : null,
        noteParagraphs: paragraphs(reflow(v.note)),
        hasDetails: Boolean(v.cwe ?? v.cvss),
        cwe: v.cwe ?? null,
        cvss: v.cvss ?? null,
        score: c && typeof c !== 'string' ? c.baseScore.toFixed(1) : null,
        severity: c && typeof c !== 'string' ? c.baseSeverity : null,
      };
    }),
    patches: adv.reviews.map((r) => ({ series: r.series, links: r.links })),
    patchLines: adv.reviews.flatMap((r) => r.links.map((url) => ({ url, series: r.series }))),
    credits: [
      ...adv.reporters.map((r) => ({
        name: r.name, affiliation: r.affiliation ?? null, from: whoFrom(r.name, r.affiliation),
        role: 'reporter', cves: r.reported, hasCves: r.reported.length > 0,
      })),
      ...adv.credits.map((c) => ({
        name: c.name, affiliation: c.affiliation ?? null, from: whoFrom(c.name, c.affiliation),
        role: creditLabel(c.type), cves: [] as string[], hasCves: false,
      })),
    ],
    issueLinks: adv.issues.links,
    references: [...adv.issues.links, ...cves.map(cveUrl)],
    notes: adv.notes.map((n) => reflow(n)),
    errata: adv.errata ? reflow(adv.errata) : null,
    history: history.map((h) => ({ date: h.date, text: reflow(h.text) })),
    discussion: adv.discussion ? reflow(adv.discussion) : null,
    discussionParagraphs: paragraphs(reflow(adv.discussion)),
    recommendedActions: adv.recommendedActions ? reflow(adv.recommendedActions) : null,
    recommendedActionsParagraphs: paragraphs(reflow(adv.recommendedActions)),
    contacts: adv.contacts.map((c) => ({ name: c.name, affiliation: c.affiliation ?? null, email: c.email ?? null })),
    pageFile: pageFile(adv),
    osvFile: `${adv.id}.osv.json`,
    cveFiles: cves.map((c) => ({ cveId: c, file: `${c}.json` })),
    siteUrl: opts.siteUrl ?? null,
  };
}
