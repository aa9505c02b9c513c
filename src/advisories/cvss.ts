/**
 * CVSS v3.0/v3.1 base vectors: parsing and the base score, because CVE JSON 5 metrics require
 * `baseScore` and `baseSeverity` next to the vector (formulas from the FIRST specification).
 * CVSS v4.0 base vectors are accepted beside them (cvss4.ts).
 */

import { parseCvss4, type CvssV4 } from './cvss4.js';

export type { CvssV4 } from './cvss4.js';

export interface CvssV3 {
  version: '3.0' | '3.1';
  vector: string;
  metrics: Record<BaseMetric, string>;
  baseScore: number;
  baseSeverity: 'NONE' | 'LOW' | 'MEDIUM' | 'HIGH' | 'CRITICAL';
}

const BASE_METRICS = ['AV', 'AC', 'PR', 'UI', 'S', 'C', 'I', 'A'] as const;
type BaseMetric = (typeof BASE_METRICS)[number];

const ALLOWED: Record<BaseMetric, string[]> = {
  AV: ['N', 'A', 'L', 'P'], AC: ['L', 'H'], PR: ['N', 'L', 'H'], UI: ['N', 'R'],
  S: ['U', 'C'], C: ['H', 'L', 'N'], I: ['H', 'L', 'N'], A: ['H', 'L', 'N'],
};

/** A parsed, scored base vector of either version (`version` tells which). */
export type Cvss = CvssV3 | CvssV4;

/**
 * Parses a v3.x or v4.0 base vector and computes its score. Returns an error message (never
 * throws) for anything else.
 */
export function parseCvss(vector: string): Cvss | string {
  if (vector.startsWith('CVSS:4.0/')) return parseCvss4(vector);
  const m = /^CVSS:(3\.[01])\/(.*)$/.exec(vector);
  if (!m) {
    return `"${vector}" is not a CVSS v3 or v4.0 vector (expected CVSS:3.1/AV:_/AC:_/PR:_/UI:_/S:_/C:_/I:_/A:_ or CVSS:4.0/AV:_/AC:_/AT:_/PR:_/UI:_/VC:_/VI:_/VA:_/SC:_/SI:_/SA:_)`;
  }
  const version = m[1] === '3.0' ? '3.0' : '3.1';
  const metrics: Partial<Record<BaseMetric, string>> = {};
  for (const part of (m[2] ?? '').split('/')) {
    const [k, v, extra] = part.split(':');
    if (!isBase(k) || v === undefined || extra !== undefined) {
      return `"${part}" is not a CVSS v3 base metric (only AV, AC, PR, UI, S, C, I, A are accepted)`;
    }
    if (metrics[k] !== undefined) return `metric ${k} appears twice`;
    if (!ALLOWED[k].includes(v)) return `${k}:${v} is not a valid value (allowed: ${ALLOWED[k].join(', ')})`;
    metrics[k] = v;
  }
  const missing = BASE_METRICS.filter((k) => metrics[k] === undefined);
  if (missing.length > 0) return `missing base metric(s) ${missing.join(', ')}`;
  const full = metrics as Record<BaseMetric, string>;
  const baseScore = score(full, version);
  return { version, vector, metrics: full, baseScore, baseSeverity: severity(baseScore) };
}

function isBase(k: string | undefined): k is BaseMetric {
  return (BASE_METRICS as readonly string[]).includes(k ?? '');
}

function score(m: Record<BaseMetric, string>, version: '3.0' | '3.1'): number {
  const changed = m.S === 'C';
  const av = { N: 0.85, A: 0.62, L: 0.55, P: 0.2 }[m.AV] ?? 0;
  const ac = { L: 0.77, H: 0.44 }[m.AC] ?? 0;
  const pr = ({ N: 0.85, L: changed ? 0.68 : 0.62, H: changed ? 0.5 : 0.27 } as Record<string, number>)[m.PR] ?? 0;
  const ui = { N: 0.85, R: 0.62 }[m.UI] ?? 0;
  const cia = (x: string): number => ({ H: 0.56, L: 0.22, N: 0 } as Record<string, number>)[x] ?? 0;
  const iss = 1 - (1 - cia(m.C)) * (1 - cia(m.I)) * (1 - cia(m.A));
  const impact = changed ? 7.52 * (iss - 0.029) - 3.25 * Math.pow(iss - 0.02, 15) : 6.42 * iss;
  const exploitability = 8.22 * av * ac * pr * ui;
  if (impact <= 0) return 0;
  const up = version === '3.1' ? roundup31 : (x: number) => Math.ceil(x * 10) / 10;
  return changed ? up(Math.min(1.08 * (impact + exploitability), 10)) : up(Math.min(impact + exploitability, 10));
}

/** CVSS 3.1 Roundup: avoids floating-point artefacts such as 4.000000001 -> 4.1. */
function roundup31(x: number): number {
  const i = Math.round(x * 100000);
  return i % 10000 === 0 ? i / 100000 : (Math.floor(i / 10000) + 1) / 10;
}

function severity(s: number): CvssV3['baseSeverity'] {
  if (s === 0) return 'NONE';
  if (s < 4) return 'LOW';
  if (s < 7) return 'MEDIUM';
  if (s < 9) return 'HIGH';
  return 'CRITICAL';
}

/** The CVE JSON 5 `cvssV3_x` object for a parsed vector (names as in the FIRST JSON schema). */
export function cvssJson(c: CvssV3): Record<string, string | number> {
  const m = c.metrics;
  return {
    version: c.version,
    vectorString: c.vector,
    attackVector: ({ N: 'NETWORK', A: 'ADJACENT_NETWORK', L: 'LOCAL', P: 'PHYSICAL' } as Record<string, string>)[m.AV] ?? '',
    attackComplexity: m.AC === 'L' ? 'LOW' : 'HIGH',
    privilegesRequired: ({ N: 'NONE', L: 'LOW', H: 'HIGH' } as Record<string, string>)[m.PR] ?? '',
    userInteraction: m.UI === 'N' ? 'NONE' : 'REQUIRED',
    scope: m.S === 'U' ? 'UNCHANGED' : 'CHANGED',
    confidentialityImpact: cia(m.C),
    integrityImpact: cia(m.I),
    availabilityImpact: cia(m.A),
    baseScore: c.baseScore,
    baseSeverity: c.baseSeverity,
  };
}

function cia(v: string): string {
  return ({ H: 'HIGH', L: 'LOW', N: 'NONE' } as Record<string, string>)[v] ?? '';
}
