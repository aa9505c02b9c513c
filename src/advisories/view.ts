/**
 * The data the templates see. Everything a template may print is prepared here (sorted, joined,
 * split into paragraphs), so templates hold wording and layout only. Every key is always present
 * (null or empty when unused) because the template engine treats an unknown name as a typo.
 */
import { parseCvss } from './cvss.js';
import { cweName } from './cwe.js';
import type { Advisory, CreditType } from './types.js';

export interface RenderOptions {
  /** directory with the templates (default: templates/advisory under the package root) */
  templatesDir?: string;
  /** CVE JSON 5 `timeline` events; `date` is YYYY-MM-DD or an ISO 8601 timestamp */
  timeline?: Array<{ event: string; date: string }>;
  /** CNA organisation UUID for CVE records (default: PLACEHOLDER_ASSIGNER_ORG_ID) */
  assignerOrgId?: string;
  /** CNA short name for CVE records (config cve.assignerShortName), when configured */
  assignerShortName?: string;
  /** public base URL of the site, e.g. https://security.example.org/advisories/ (absolute links, Atom ids) */
  siteUrl?: string;
  /** the team's name (instance.name) on the page, index and feed; default "Security team" */
  teamName?: string;
  /** the case's severity (X-SEVERITY), shown before any CVSS-derived one */
  severity?: string | null;
  /** `ID.txt.asc` (the clear-signed mail text) is published beside the page: link it */
  signedText?: boolean;
}

/** The team name used when none is configured. */
export const DEFAULT_TEAM_NAME = 'Security team';

const SEVERITY_ORDER = ['NONE', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'];

/**
 * The severity a reader sees first: the case's own (set by the coordinators), else the highest
 * CVSS base severity of the advisory's vulnerabilities; null when neither exists. Pure.
 */
export function advisorySeverity(adv: Advisory, caseSeverity?: string | null): string | null {
  if (caseSeverity) return caseSeverity.toUpperCase();
  let best: string | null = null;
  for (const v of adv.vulnerabilities) {
    const c = v.cvss ? parseCvss(v.cvss) : undefined;
    if (c && typeof c !== 'string' && SEVERITY_ORDER.indexOf(c.baseSeverity) > SEVERITY_ORDER.indexOf(best ?? '')) best = c.baseSeverity;
  }
  return best;
}

/** The MITRE page of a CWE ID (`CWE-787` → https://cwe.mitre.org/data/definitions/787.html); null for anything else. */
export function cweUrl(id: string): string | null {
  const m = /^CWE-(\d+)$/.exec(id);
  return m ? `https://cwe.mitre.org/data/definitions/${m[1]}.html` : null;
}

/** A piece of text: plain, or an http(s) URL to show as a link. */
export interface TextPart {
  text: string;
  url: string | null;
}

const URL_IN_TEXT = /https?:\/\/[^\s<>"'`]+/g;

/**
 * Splits text at http(s) URLs so a template can make them links (the engine escapes both).
 * Trailing punctuation (.,;:!?) and an unbalanced closing parenthesis stay text. Pure.
 */
export function linkParts(text: string): TextPart[] {
  const parts: TextPart[] = [];
  let last = 0;
  for (const m of text.matchAll(URL_IN_TEXT)) {
    let url = m[0];
    while (/[.,;:!?]$/.test(url) || (url.endsWith(')') && (url.match(/\(/g) ?? []).length < (url.match(/\)/g) ?? []).length)) url = url.slice(0, -1);
    if (m.index > last) parts.push({ text: text.slice(last, m.index), url: null });
    parts.push({ text: url, url });
    last = m.index + url.length;
  }
  if (last < text.length) parts.push({ text: text.slice(last), url: null });
  return parts;
}

/** Paragraphs, each as linkable parts (the `…Linked` template names). */
const linked = (paras: string[]): Array<{ parts: TextPart[] }> => paras.map((p) => ({ parts: linkParts(p) }));

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
  const modified = modifiedDate(adv);
  return {
    id: adv.id,
    title: adv.title,
    date: adv.date,
    dateLong: longDate(adv.date),
    modified,
    updated: modified !== adv.date ? modified : null,
    updatedLong: modified !== adv.date ? longDate(modified) : null,
    // OSSA/OSSN wording is OpenStack's: only an advisory with an OSSA-/OSSN- ID uses it.
    isOpenStack: /^OSS[AN]-/.test(adv.id),
    teamName: opts.teamName ?? DEFAULT_TEAM_NAME,
    severity: advisorySeverity(adv, opts.severity),
    signedTextFile: opts.signedText ? `${adv.id}.txt.asc` : null,
    kind: adv.kind,
    isNote: adv.kind === 'security-note',
    isAdvisory: adv.kind === 'advisory',
    class: adv.class,
    vendor: adv.vendor ?? null,
    cves,
    description: reflow(adv.description),
    descriptionParagraphs: paragraphs(reflow(adv.description)),
    descriptionLinked: linked(paragraphs(reflow(adv.description))),
    affected: adv.affectedProducts.map((p) => ({
      product: p.product,
      vendor: p.vendor ?? adv.vendor ?? null,
      version: p.version,
      ecosystem: p.ecosystem ?? null,
      // `<X` clauses: X is the first fixed version of that line
      fixed: p.clauses.flatMap((c) => (c.fixed ? [c.fixed] : [])),
    })),
    vulnerabilities: adv.vulnerabilities.map((v) => {
      const c = v.cvss ? parseCvss(v.cvss) : undefined;
      return {
        cveId: v.cveId,
        cveUrl: cveUrl(v.cveId),
        note: v.note ? reflow(v.note) : null,
        noteParagraphs: paragraphs(reflow(v.note)),
        noteLinked: linked(paragraphs(reflow(v.note))),
        hasDetails: Boolean(v.cwe ?? v.cvss),
        cwe: v.cwe ?? null,
        cweName: v.cwe && cweName(v.cwe) !== v.cwe ? cweName(v.cwe) : null,
        cweUrl: v.cwe ? cweUrl(v.cwe) : null,
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
    notesLinked: linked(adv.notes.map((n) => reflow(n))),
    errata: adv.errata ? reflow(adv.errata) : null,
    errataLinked: linked(paragraphs(reflow(adv.errata))),
    history: history.map((h) => ({ date: h.date, text: reflow(h.text) })),
    discussion: adv.discussion ? reflow(adv.discussion) : null,
    discussionParagraphs: paragraphs(reflow(adv.discussion)),
    discussionLinked: linked(paragraphs(reflow(adv.discussion))),
    recommendedActions: adv.recommendedActions ? reflow(adv.recommendedActions) : null,
    recommendedActionsParagraphs: paragraphs(reflow(adv.recommendedActions)),
    recommendedActionsLinked: linked(paragraphs(reflow(adv.recommendedActions))),
    contacts: adv.contacts.map((c) => ({ name: c.name, affiliation: c.affiliation ?? null, email: c.email ?? null })),
    pageFile: pageFile(adv),
    osvFile: `${adv.id}.osv.json`,
    cveFiles: cves.map((c) => ({ cveId: c, file: `${c}.json` })),
    siteUrl: opts.siteUrl ?? null,
  };
}
