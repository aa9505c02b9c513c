/**
 * The advisory pipeline: YAML (reviewable) -> validated Advisory -> plain-text mail (rST), HTML
 * site, OSV, CVE JSON 5 and CSAF 2.0 records. Format and decisions: docs/advisory-format.md.
 */
import { toCsaf, type CsafOptions } from './csaf.js';
import { toCveRecords } from './cve.js';
import { toOsv } from './osv.js';
import { renderPage } from './render-html.js';
import { renderText } from './render-text.js';
import type { Advisory } from './types.js';

export { parseAdvisory, type AdvisoryError, type AdvisoryResult } from './parse.js';
export { publishAdvisory, rebuildSite, readManifest, MANIFEST_FILE, CSAF_DIR, type PublishOptions, type SiteAdvisory } from './publish.js';
export { writeTeamSite, siteOptions, teamPublisher, publicBaseUrl, securityTxtFields, wkdHash, zbase32, EXPIRES_DAYS, type SiteOptions } from './site.js';
export { toOsv, osvId, OSV_SCHEMA_VERSION } from './osv.js';
export { toCveRecords, PLACEHOLDER_ASSIGNER_ORG_ID } from './cve.js';
export { toCsaf, providerMetadata, csafFileName, csafDistributionPath, csafBaseUrl, CSAF_VERSION, type CsafOptions, type CsafPublisher } from './csaf.js';
export { renderText } from './render-text.js';
export { renderPage, renderIndex, renderFeed, indexEntry, newestFirst, type IndexEntry } from './render-html.js';
export { defaultTemplatesDir, packageRoot, TemplateError } from './templates.js';
export { parseVersionRange, isSemver } from './ranges.js';
export { parseCvss } from './cvss.js';
export type { RenderOptions } from './view.js';
export type * from './types.js';

export type AdvisoryFormat = 'rst' | 'html' | 'osv' | 'cve' | 'csaf';

/**
 * Renders a validated advisory. `rst`: the plain-text mail (72 columns); `html`: the page;
 * `osv`: the OSV record (pretty JSON); `cve`: a JSON array of CVE JSON 5.1 records, one per CVE
 * (`[]` for a note without CVEs); `csaf`: the CSAF 2.0 document (pretty JSON). Throws only for a broken template (TemplateError) or bad
 * options (a malformed assignerOrgId or timeline date).
 */
export function renderAdvisory(adv: Advisory, format: AdvisoryFormat, opts: CsafOptions = {}): string {
  switch (format) {
    case 'rst':
      return renderText(adv, opts);
    case 'html':
      return renderPage(adv, opts);
    case 'osv':
      return `${JSON.stringify(toOsv(adv, opts), null, 2)}\n`;
    case 'cve':
      return `${JSON.stringify(toCveRecords(adv, opts).map((r) => r.record), null, 2)}\n`;
    case 'csaf':
      return `${JSON.stringify(toCsaf(adv, opts), null, 2)}\n`;
    default: {
      const never: never = format;
      throw new Error(`unknown advisory format ${String(never)}`);
    }
  }
}

/**
 * The oss-security mail subject: "[ID] PROJECT: TITLE (CVE-…, …)". PROJECT lists the affected
 * products. Guarantees: a single line with no control characters at all (CR, LF, tab, C1, Unicode
 * line separators), whatever the Advisory holds, so it cannot inject mail headers.
 */
export function advisorySubject(adv: Advisory): string {
  const products = [...new Set(adv.affectedProducts.map((p) => p.product))].join(', ');
  const cves = adv.vulnerabilities.map((v) => v.cveId).join(', ');
  const subject = `[${adv.id}] ${products ? `${products}: ` : ''}${adv.title}${cves ? ` (${cves})` : ''}`;
  return subject
    .replace(/[\x00-\x1f\x7f-\x9f\u2028\u2029]+/g, ' ')
    .replace(/ {2,}/g, ' ')
    .trim();
}
