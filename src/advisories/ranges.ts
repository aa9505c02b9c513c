/**
 * Version ranges as OSSA writes them: `>=8.0.0 <8.1.1, ==9.0.0`.
 * Comma-separated clauses; a clause is `==V`, or an optional `>=LOW` with an optional `<HIGH`
 * or `<=HIGH` (at least one bound). This is the whole grammar, so every clause maps onto one OSV
 * range (or one OSV `versions` entry) and one CVE `versions` entry without guessing.
 */
import type { VersionClause } from './types.js';

const VERSION = /^[0-9A-Za-z][0-9A-Za-z.+~:_-]*$/;

/** SemVer 2.0.0, the regular expression published at semver.org (OSV SEMVER ranges need it). */
const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

/** True when `v` is a SemVer 2.0.0 version (no leading `v`). */
export function isSemver(v: string): boolean {
  return SEMVER.test(v);
}

export type RangeResult = { ok: true; clauses: VersionClause[] } | { ok: false; message: string };

/**
 * Parses a range string. Never throws; on failure the message names the offending clause
 * and says what would be accepted.
 */
export function parseVersionRange(text: string): RangeResult {
  const trimmed = text.trim();
  if (trimmed === '') return { ok: false, message: 'version range is empty (example: ">=8.0.0 <8.1.1, ==9.0.0")' };
  const clauses: VersionClause[] = [];
  const parts = trimmed.split(',');
  for (let i = 0; i < parts.length; i++) {
    const raw = (parts[i] ?? '').trim();
    const where = `clause ${i + 1} of "${trimmed}"`;
    if (raw === '') return { ok: false, message: `${where} is empty (stray comma?)` };
    const r = parseClause(raw);
    if (typeof r === 'string') return { ok: false, message: `${where} ("${raw}"): ${r}` };
    clauses.push(r);
  }
  return { ok: true, clauses };
}

function parseClause(raw: string): VersionClause | string {
  // Allow ">= 8.0.0" as well as ">=8.0.0": join an operator to the version after it.
  const tokens = raw.replace(/(>=|<=|==|<|>)\s+/g, '$1').split(/\s+/);
  const clause: VersionClause = { text: tokens.join(' ') };
  for (const tok of tokens) {
    const m = /^(>=|<=|==|<|>|=)?(.*)$/.exec(tok);
    const op = m?.[1];
    const v = m?.[2] ?? '';
    if (!op) return `"${tok}" has no operator (use ==, >=, < or <=)`;
    if (op === '>') return `exclusive lower bound "${tok}" cannot be expressed in OSV or CVE records; use >=`;
    if (op === '=') return `"${tok}": use == for a single version`;
    if (!VERSION.test(v)) return `"${v}" is not a version (letters, digits and . + ~ : _ - only)`;
    if (op === '==') {
      if (tokens.length > 1) return '== must stand alone in its clause (separate clauses with commas)';
      clause.exact = v;
    } else if (op === '>=') {
      if (clause.introduced !== undefined) return 'two lower bounds in one clause';
      if (clause.fixed !== undefined || clause.lastAffected !== undefined) return 'write the lower bound (>=) before the upper bound';
      clause.introduced = v;
    } else {
      if (clause.fixed !== undefined || clause.lastAffected !== undefined) return 'two upper bounds in one clause';
      if (op === '<') clause.fixed = v;
      else clause.lastAffected = v;
    }
  }
  if (clause.exact === undefined) {
    const upper = clause.fixed ?? clause.lastAffected;
    if (clause.introduced !== undefined && upper !== undefined) {
      const c = compareNumeric(clause.introduced, upper);
      if (c !== undefined && (c > 0 || (c === 0 && clause.fixed !== undefined))) {
        return `lower bound ${clause.introduced} is not below upper bound ${upper}: the range is empty`;
      }
    }
    if (clause.introduced === undefined) clause.introduced = '0';
  }
  return clause;
}

/** Compares dotted numeric versions; undefined when either is not purely numeric. */
function compareNumeric(a: string, b: string): number | undefined {
  const pa = a.split('.');
  const pb = b.split('.');
  if (![...pa, ...pb].every((p) => /^\d+$/.test(p))) return undefined;
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = Number(pa[i] ?? '0') - Number(pb[i] ?? '0');
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

