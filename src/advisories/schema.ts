/**
 * The shape of an advisory YAML document, as a JSON Schema checked by ajv.
 * The YAML is read with the failsafe schema, so every scalar is a string here: `version: 2.0`
 * stays "2.0" instead of becoming the number 2. Semantic rules (ranges, CVE cross-references,
 * credits, kind/class) live in load.ts; the documented form is docs/advisory-format.md.
 * `x-hint` is our own keyword (ajv runs with strict: false): it becomes the error message for
 * `pattern` failures, so authors read what is expected rather than a regular expression.
 */
import { CREDIT_TYPES, REPORT_CLASSES } from './types.js';

/** OSV ecosystems (osv-schema 1.7 `ecosystemName`); a `:suffix` such as `Debian:12` is allowed. */
export const OSV_ECOSYSTEMS = [
  'AlmaLinux', 'Alpaquita', 'Alpine', 'Android', 'Azure Linux', 'BellSoft Hardened Containers', 'Bioconductor',
  'Bitnami', 'Chainguard', 'CleanStart', 'ConanCenter', 'CRAN', 'crates.io', 'Debian', 'Docker Hardened Images',
  'Echo', 'FreeBSD', 'GHC', 'GitHub Actions', 'Go', 'Hackage', 'Hex', 'Julia', 'Kubernetes', 'Linux', 'Mageia',
  'Maven', 'MinimOS', 'npm', 'NuGet', 'opam', 'openEuler', 'openSUSE', 'OSS-Fuzz', 'Packagist', 'Photon OS', 'Pub',
  'PyPI', 'Red Hat', 'Rocky Linux', 'Root', 'RubyGems', 'SUSE', 'SwiftURL', 'TuxCare', 'Ubuntu', 'VSCode', 'Wolfi',
];

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const text = { type: 'string', minLength: 1 };
const url = { type: 'string', pattern: '^https?://[^\\s<>"]+$', 'x-hint': 'must be an http:// or https:// URL without spaces' };
const date = {
  type: 'string',
  pattern: '^\\d{4}-\\d{2}-\\d{2}$',
  'x-hint': 'must be a date written YYYY-MM-DD (e.g. 2026-03-14)',
};
const cveId = { type: 'string', pattern: '^CVE-\\d{4}-\\d{4,19}$', 'x-hint': 'must be a CVE ID: CVE-YYYY-NNNN (four or more digits)' };
const textList = { type: 'array', items: text };

/** JSON Schema (draft-07) for the YAML document. Top level keys are as OSSA spells them. */
export const advisorySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'class', 'date', 'title', 'description', 'affected-products', 'issues'],
  properties: {
    id: {
      type: 'string',
      maxLength: 64,
      pattern: '^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$',
      'x-hint': 'must be upper-case letters and digits in dash-separated groups, e.g. OSSA-2026-001 or SEC-2026-0001',
    },
    kind: { type: 'string', enum: ['advisory', 'security-note'] },
    class: { type: 'string', enum: [...REPORT_CLASSES] },
    date,
    title: { type: 'string', minLength: 1, maxLength: 72 },
    vendor: text,
    // 3000 + a 1000-character note stays under CVE JSON 5's 4096-character description limit.
    description: { type: 'string', minLength: 1, maxLength: 3000 },
    'affected-products': {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['product', 'version'],
        properties: {
          product: { type: 'string', minLength: 1, maxLength: 200 },
          vendor: { type: 'string', minLength: 1, maxLength: 200 },
          ecosystem: {
            type: 'string',
            pattern: `^(${OSV_ECOSYSTEMS.map(escapeRe).join('|')})(:.+)?$`,
            'x-hint': `must be an OSV ecosystem (${OSV_ECOSYSTEMS.slice(0, 6).join(', ')}, PyPI, npm, Maven, Go, … as listed by osv-schema)`,
          },
          package: { type: 'string', minLength: 1, maxLength: 200 },
          version: text,
        },
      },
    },
    vulnerabilities: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['cve-id'],
        properties: {
          'cve-id': cveId,
          note: { type: 'string', minLength: 1, maxLength: 1000 },
          cwe: { type: 'string', pattern: '^CWE-[1-9][0-9]{0,5}$', 'x-hint': 'must be a CWE ID such as CWE-79' },
          cvss: text,
        },
      },
    },
    reporters: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: { name: text, affiliation: text, reported: { type: 'array', minItems: 1, items: cveId } },
      },
    },
    credits: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'type'],
        properties: {
          name: text,
          type: { type: 'string', enum: [...CREDIT_TYPES] },
          affiliation: text,
          contact: textList,
        },
      },
    },
    issues: {
      type: 'object',
      additionalProperties: false,
      required: ['links'],
      properties: { links: { type: 'array', minItems: 1, items: url } },
    },
    reviews: {
      type: 'object',
      propertyNames: { minLength: 1 },
      additionalProperties: { type: 'array', minItems: 1, items: url },
    },
    notes: textList,
    errata: text,
    errata_history: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['date', 'text'],
        properties: { date, text },
      },
    },
    discussion: text,
    'recommended-actions': text,
    contacts: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: {
          name: text,
          affiliation: text,
          email: { type: 'string', pattern: '^[^\\s@<>]+@[^\\s@<>]+$', 'x-hint': 'must be an email address' },
        },
      },
    },
  },
} as const;

/** Human names for JSON types, as a YAML author sees them. */
export const YAML_TYPE_NAMES: Record<string, string> = {
  string: 'a text value',
  array: 'a list',
  object: 'a mapping (key: value)',
};
