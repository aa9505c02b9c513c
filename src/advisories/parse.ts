/**
 * YAML text -> validated, typed Advisory. Every problem is reported with the field path and the
 * YAML line; nothing here throws on bad input.
 */
import type { ErrorObject } from 'ajv';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { parseCvss } from './cvss.js';
import { formatPath, lineOf, pointerToSegments, type Segment } from './locate.js';
import { isSemver, parseVersionRange } from './ranges.js';
import { advisorySchema, YAML_TYPE_NAMES } from './schema.js';
import * as generated from './advisory-validator.generated.js';
import { advisoryValidatorOptions } from '../schema/targets.js';
import { validatorFor } from '../schema/validator.js';
import {
  NOTE_CLASSES,
  type Advisory,
  type AdvisoryKind,
  type CreditType,
  type ReportClass,
  type VersionClause,
} from './types.js';

export interface AdvisoryError {
  /** field path, e.g. `vulnerabilities[1].cve-id`; `(document)` for the whole file */
  path: string;
  /** 1-based YAML line, when the problem can be tied to one */
  line?: number;
  message: string;
}

export type AdvisoryResult = { ok: true; advisory: Advisory } | { ok: false; errors: AdvisoryError[] };

/** Larger inputs are refused before parsing: an advisory is a few kilobytes. */
const MAX_YAML_BYTES = 256 * 1024;

/** Fields whose text may span several lines; every other text must be one line. */
const MULTILINE = new Set(['description', 'note', 'notes', 'errata', 'text', 'discussion', 'recommended-actions']);

const validateShape = validatorFor(advisorySchema, advisoryValidatorOptions, generated);

/** Raw shape after the schema check (every scalar is a string: failsafe YAML schema). */
interface Raw {
  id: string; kind?: string; class: string; date: string; title: string; vendor?: string; description: string;
  'affected-products': Array<{ product: string; vendor?: string; ecosystem?: string; package?: string; version: string }>;
  vulnerabilities?: Array<{ 'cve-id': string; note?: string; cwe?: string; cvss?: string }>;
  reporters?: Array<{ name: string; affiliation?: string; reported?: string[] }>;
  credits?: Array<{ name: string; type: string; affiliation?: string; contact?: string[] }>;
  issues: { links: string[] };
  reviews?: Record<string, string[]>;
  notes?: string[]; errata?: string; errata_history?: Array<{ date: string; text: string }>;
  discussion?: string; 'recommended-actions'?: string;
  contacts?: Array<{ name: string; affiliation?: string; email?: string }>;
}

/**
 * Parses and validates one advisory. Guarantees: never throws; on success every field satisfies
 * docs/advisory-format.md (ranges parsed, CVEs cross-checked, at least one reporter credited, no
 * control characters, title one line); on failure every error has a path and, where the YAML
 * has a node for it, a line.
 */
export function parseAdvisory(yamlText: string): AdvisoryResult {
  if (typeof yamlText !== 'string') return fail([{ path: '(document)', message: 'advisory YAML must be text' }]);
  if (Buffer.byteLength(yamlText, 'utf8') > MAX_YAML_BYTES) {
    return fail([{ path: '(document)', message: `advisory is larger than ${MAX_YAML_BYTES} bytes` }]);
  }
  const lc = new LineCounter();
  const doc = parseDocument(yamlText, { schema: 'failsafe', lineCounter: lc, prettyErrors: false });
  if (doc.errors.length > 0) {
    return fail(doc.errors.map((e) => ({ path: '(document)', line: e.linePos?.[0].line ?? lc.linePos(e.pos[0]).line, message: `YAML syntax: ${e.message.split('\n')[0] ?? ''}` })));
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    return fail([{ path: '(document)', message: `YAML: ${(e as Error).message}` }]);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return fail([{ path: '(document)', line: 1, message: 'an advisory must be a YAML mapping (id: …, title: …)' }]);
  }
  const errors: AdvisoryError[] = [];
  if (!validateShape(value)) {
    for (const e of validateShape.errors ?? []) errors.push(shapeError(e, doc, lc, value));
  }
  checkCharacters(value, [], doc, lc, errors);
  if (errors.length > 0) return fail(dedupe(errors));
  return semantic(value as Raw, doc, lc);
}

function fail(errors: AdvisoryError[]): AdvisoryResult {
  return { ok: false, errors };
}

function shapeError(e: ErrorObject, doc: Document, lc: LineCounter, root: unknown): AdvisoryError {
  const segs = pointerToSegments(e.instancePath, root);
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties': {
      const extra = String(p.additionalProperty);
      const allowed = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      return at([...segs, extra], doc, lc, `unknown field "${extra}"${allowed.length ? ` (allowed here: ${allowed.join(', ')})` : ''}`, true);
    }
    case 'required':
      return at([...segs, String(p.missingProperty)], doc, lc, 'is required but missing');
    case 'type':
      return at(segs, doc, lc, `must be ${YAML_TYPE_NAMES[String(p.type)] ?? String(p.type)}`);
    case 'enum':
      return at(segs, doc, lc, `must be one of: ${(p.allowedValues as unknown[]).map(String).join(', ')}`);
    case 'pattern': {
      const hint = (e.parentSchema as Record<string, unknown> | undefined)?.['x-hint'];
      return at(segs, doc, lc, `${JSON.stringify(e.data)} ${typeof hint === 'string' ? hint : `does not match ${String(p.pattern)}`}`);
    }
    case 'minLength':
      return at(segs, doc, lc, 'must not be empty');
    case 'maxLength':
      return at(segs, doc, lc, `is longer than ${String(p.limit)} characters`);
    case 'minItems':
      return at(segs, doc, lc, `must list at least ${String(p.limit)} entr${p.limit === 1 ? 'y' : 'ies'}`);
    default:
      return at(segs, doc, lc, e.message ?? 'is invalid');
  }
}

function at(segs: readonly Segment[], doc: Document, lc: LineCounter, message: string, key = false): AdvisoryError {
  return { path: formatPath(segs), line: lineOf(doc, lc, segs, key), message };
}

/** Rejects control characters everywhere, and line breaks in single-line fields (names, IDs, URLs). */
function checkCharacters(v: unknown, segs: Segment[], doc: Document, lc: LineCounter, out: AdvisoryError[]): void {
  if (typeof v === 'string') {
    const field = [...segs].reverse().find((s): s is string => typeof s === 'string') ?? '';
    const multiline = MULTILINE.has(field) && !(segs.length === 1 && field === 'title');
    if (/[\r\n\u2028\u2029\u0085]/.test(v.trim()) && !multiline) {
      out.push(at(segs, doc, lc, field === 'title'
        ? 'title must be a single line: it becomes the mail subject, where a line break could inject headers'
        : 'must be a single line'));
    } else if (/[\x00-\x08\x0b-\x1f\x7f]/.test(v.replace(/\r\n/g, '\n'))) {
      out.push(at(segs, doc, lc, 'contains a control character (only line breaks and tabs are allowed in text)'));
    }
    return;
  }
  if (Array.isArray(v)) v.forEach((x, i) => checkCharacters(x, [...segs, i], doc, lc, out));
  else if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      // Keys are text too (reviews are keyed by release series, which the page and mail show).
      if (/[\x00-\x1f\x7f\u2028\u2029\u0085]/.test(k)) out.push(at([...segs, k], doc, lc, 'field name contains a line break or control character', true));
      else checkCharacters(x, [...segs, k], doc, lc, out);
    }
  }
}

function dedupe(errors: AdvisoryError[]): AdvisoryError[] {
  const seen = new Set<string>();
  return errors
    .filter((e) => {
      const k = `${e.path}\u0000${e.message}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    })
    .sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
}

function realDate(d: string): boolean {
  const t = Date.parse(`${d}T00:00:00Z`);
  return !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === d;
}

/** Multi-line text as written, without the trailing newline block scalars add or trailing blanks. */
function clean(s: string): string;
function clean(s: string | undefined): string | undefined;
function clean(s: string | undefined): string | undefined {
  return s === undefined ? undefined : s.replace(/\r\n?/g, '\n').replace(/[ \t]+$/gm, '').trim();
}

function semantic(raw: Raw, doc: Document, lc: LineCounter): AdvisoryResult {
  const errors: AdvisoryError[] = [];
  const err = (segs: Segment[], message: string, key = false): void => {
    errors.push(at(segs, doc, lc, message, key));
  };

  if (!realDate(raw.date)) err(['date'], `${raw.date} is not a calendar date`);
  (raw.errata_history ?? []).forEach((h, i) => {
    if (!realDate(h.date)) err(['errata_history', i, 'date'], `${h.date} is not a calendar date`);
  });

  const cls = raw.class as ReportClass;
  let kind: AdvisoryKind = cls === 'A' ? 'advisory' : 'security-note';
  if (['E', 'Y', 'Z'].includes(cls)) {
    err(['class'], `class ${cls} reports are closed without publication; only class A (advisory) and B1–D (security note) are published`);
  } else if (raw.kind !== undefined) {
    kind = raw.kind as AdvisoryKind;
    if (kind === 'advisory' && cls !== 'A') err(['kind'], `kind advisory needs class A; class ${cls} is published as kind: security-note`);
    if (kind === 'security-note' && !NOTE_CLASSES.includes(cls)) err(['kind'], 'kind security-note needs class B1, B2, B3, C1, C2 or D; class A is published as kind: advisory');
  }
  if (kind === 'advisory') {
    if ((raw.vulnerabilities ?? []).length === 0) err(['vulnerabilities'], 'an advisory (class A) must list at least one vulnerability with its cve-id');
    for (const f of ['discussion', 'recommended-actions', 'contacts'] as const) {
      if (raw[f] !== undefined) err([f], `is only used by security notes (kind: security-note); put this text in description or notes`, true);
    }
  } else {
    if (raw.discussion === undefined) err(['discussion'], 'a security note must have a discussion section');
    if (raw['recommended-actions'] === undefined) err(['recommended-actions'], 'a security note must have recommended-actions');
  }

  const affected = raw['affected-products'].map((p, i) => {
    const r = parseVersionRange(p.version);
    let clauses: VersionClause[] = [];
    if (!r.ok) err(['affected-products', i, 'version'], `bad version range: ${r.message}`);
    else {
      clauses = r.clauses;
      if (p.ecosystem === undefined) {
        const bad = clauses.flatMap((c) => [c.exact, c.introduced, c.fixed, c.lastAffected]).find((v) => v !== undefined && v !== '0' && !isSemver(v));
        if (bad !== undefined) err(['affected-products', i, 'version'], `version ${bad} is not SemVer (MAJOR.MINOR.PATCH); set "ecosystem" (e.g. PyPI) so the range can be compared in that ecosystem's terms`);
      }
    }
    return { product: p.product, vendor: p.vendor, ecosystem: p.ecosystem, package: p.package, version: p.version.trim(), clauses };
  });

  const cves = (raw.vulnerabilities ?? []).map((v) => v['cve-id']);
  const vulnerabilities = (raw.vulnerabilities ?? []).map((v, i) => {
    if (cves.indexOf(v['cve-id']) !== i) err(['vulnerabilities', i, 'cve-id'], `${v['cve-id']} is listed twice`);
    if (v.cvss !== undefined) {
      const c = parseCvss(v.cvss.trim());
      if (typeof c === 'string') err(['vulnerabilities', i, 'cvss'], `bad CVSS vector: ${c}`);
    }
    return { cveId: v['cve-id'], note: clean(v.note), cwe: v.cwe, cvss: v.cvss?.trim() };
  });

  const reporters = (raw.reporters ?? []).map((r, i) => {
    (r.reported ?? []).forEach((c, j) => {
      if (!cves.includes(c)) err(['reporters', i, 'reported', j], `${c} is not one of this advisory's vulnerabilities (${cves.join(', ') || 'none listed'})`);
    });
    return { name: r.name.trim(), affiliation: r.affiliation?.trim(), reported: r.reported ?? [...cves] };
  });
  const credits = (raw.credits ?? []).map((c) => ({
    name: c.name.trim(), type: c.type as CreditType, affiliation: c.affiliation?.trim(), contact: c.contact ?? [],
  }));
  const creditsReporter = credits.some((c) => c.type === 'REPORTER' || c.type === 'FINDER');
  if (reporters.length === 0 && !creditsReporter) {
    err(['reporters'], 'missing credit: name who reported this in "reporters" (name, affiliation, reported CVEs) or add a "credits" entry of type REPORTER or FINDER (write "Anonymous" if they asked not to be named)', true);
  } else if (!creditsReporter) {
    cves.forEach((c, i) => {
      if (!reporters.some((r) => r.reported.includes(c))) err(['vulnerabilities', i, 'cve-id'], `no reporter is credited for ${c}: add it to a reporter's "reported" list`);
    });
  }

  for (const [segs, u] of urls(raw)) {
    try {
      new URL(u);
    } catch {
      err(segs, `${JSON.stringify(u)} is not a valid URL`);
    }
  }

  if (errors.length > 0) return fail(dedupe(errors));
  return {
    ok: true,
    advisory: {
      id: raw.id, kind, class: cls, date: raw.date, title: raw.title.trim(), vendor: raw.vendor?.trim(),
      description: clean(raw.description),
      affectedProducts: affected,
      vulnerabilities, reporters, credits,
      issues: { links: raw.issues.links },
      reviews: Object.entries(raw.reviews ?? {}).map(([series, links]) => ({ series, links })),
      notes: (raw.notes ?? []).map((n) => clean(n)),
      errata: clean(raw.errata),
      errataHistory: (raw.errata_history ?? []).map((h) => ({ date: h.date, text: clean(h.text) })),
      discussion: clean(raw.discussion),
      recommendedActions: clean(raw['recommended-actions']),
      contacts: (raw.contacts ?? []).map((c) => ({ name: c.name.trim(), affiliation: c.affiliation?.trim(), email: c.email })),
    },
  };
}

function urls(raw: Raw): Array<[Segment[], string]> {
  const out: Array<[Segment[], string]> = raw.issues.links.map((u, i) => [['issues', 'links', i], u]);
  for (const [series, links] of Object.entries(raw.reviews ?? {})) {
    links.forEach((u, i) => out.push([['reviews', series, i], u]));
  }
  return out;
}
