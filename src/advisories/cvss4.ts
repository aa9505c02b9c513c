/**
 * CVSS v4.0 base vectors (CVSS-B): parsing and the base score. v4.0 has no closed formula: the
 * score is the score of the vector's MacroVector (FIRST's lookup table) minus the mean
 * proportional distance to the next lower MacroVector in each equivalence set. This is a faithful
 * port of FIRST's reference calculator (cvss_score.js, max_composed.js, max_severity.js;
 * github.com/FIRSTdotorg/cvss-v4-calculator, BSD-2-Clause) restricted to base metrics: the threat
 * and environmental metrics are "not defined", which the specification scores as their worst case
 * (E:A, CR/IR/AR:H).
 */

import { CVSS4_MACROVECTOR_SCORES as LOOKUP } from './cvss4-table.js';

/** The eleven base metrics, in the order the specification requires them in a vector. */
export const CVSS4_BASE_METRICS = ['AV', 'AC', 'AT', 'PR', 'UI', 'VC', 'VI', 'VA', 'SC', 'SI', 'SA'] as const;
/** One CVSS v4.0 base metric abbreviation. */
export type Cvss4Metric = (typeof CVSS4_BASE_METRICS)[number];

/** Allowed values of each base metric (specification section 2). */
export const CVSS4_ALLOWED: Readonly<Record<Cvss4Metric, readonly string[]>> = {
  AV: ['N', 'A', 'L', 'P'], AC: ['L', 'H'], AT: ['N', 'P'], PR: ['N', 'L', 'H'], UI: ['N', 'P', 'A'],
  VC: ['H', 'L', 'N'], VI: ['H', 'L', 'N'], VA: ['H', 'L', 'N'], SC: ['H', 'L', 'N'], SI: ['H', 'L', 'N'], SA: ['H', 'L', 'N'],
};

/** A parsed, scored CVSS v4.0 base vector. */
export interface CvssV4 {
  version: '4.0';
  vector: string;
  metrics: Record<Cvss4Metric, string>;
  baseScore: number;
  baseSeverity: 'NONE' | 'LOW' | 'MEDIUM' | 'HIGH' | 'CRITICAL';
}

const NON_BASE = new Set(['E', 'CR', 'IR', 'AR', 'MAV', 'MAC', 'MAT', 'MPR', 'MUI', 'MVC', 'MVI', 'MVA', 'MSC', 'MSI', 'MSA', 'S', 'AU', 'R', 'V', 'RE', 'U']);

/**
 * Parses a `CVSS:4.0/…` base vector and scores it. Returns an error message (never throws).
 * Only the eleven base metrics are accepted, in the specification's order: an advisory states
 * the base score; threat and environmental scores are the consumer's to compute.
 */
export function parseCvss4(vector: string): CvssV4 | string {
  if (!vector.startsWith('CVSS:4.0/')) return `"${vector}" is not a CVSS v4.0 vector (expected CVSS:4.0/AV:_/AC:_/AT:_/PR:_/UI:_/VC:_/VI:_/VA:_/SC:_/SI:_/SA:_)`;
  const parts = vector.slice('CVSS:4.0/'.length).split('/');
  const metrics: Partial<Record<Cvss4Metric, string>> = {};
  for (const [i, part] of parts.entries()) {
    const [k, v, extra] = part.split(':');
    if (k !== undefined && NON_BASE.has(k)) return `${k} is a threat, environmental or supplemental metric: give the base vector only (AV … SA)`;
    if (!isBase(k) || v === undefined || extra !== undefined) return `"${part}" is not a CVSS v4.0 base metric (only ${CVSS4_BASE_METRICS.join(', ')} are accepted)`;
    if (metrics[k] !== undefined) return `metric ${k} appears twice`;
    if (CVSS4_BASE_METRICS[i] !== k) return `metric ${k} is out of order: CVSS v4.0 requires ${CVSS4_BASE_METRICS.join('/')}`;
    if (!CVSS4_ALLOWED[k].includes(v)) return `${k}:${v} is not a valid value (allowed: ${CVSS4_ALLOWED[k].join(', ')})`;
    metrics[k] = v;
  }
  const missing = CVSS4_BASE_METRICS.filter((k) => metrics[k] === undefined);
  if (missing.length > 0) return `missing base metric(s) ${missing.join(', ')}`;
  const full = metrics as Record<Cvss4Metric, string>;
  const baseScore = cvss4Score(full);
  return { version: '4.0', vector, metrics: full, baseScore, baseSeverity: cvss4Severity(baseScore) };
}

function isBase(k: string | undefined): k is Cvss4Metric {
  return (CVSS4_BASE_METRICS as readonly string[]).includes(k ?? '');
}

/** Qualitative severity of a v4.0 score (same bands as v3.x). */
export function cvss4Severity(s: number): CvssV4['baseSeverity'] {
  if (s === 0) return 'NONE';
  if (s < 4) return 'LOW';
  if (s < 7) return 'MEDIUM';
  if (s < 9) return 'HIGH';
  return 'CRITICAL';
}

/** Metric values as the scorer sees them: the base metrics plus the undefined threat/environmental ones at their worst case. */
type Scored = Record<string, string>;

/** MacroVector: the level (0 = most severe) of each of the six equivalence sets. */
export function cvss4MacroVector(b: Record<Cvss4Metric, string>): string {
  const m: Scored = { ...b, E: 'A', CR: 'H', IR: 'H', AR: 'H' };
  const eq1 = m.AV === 'N' && m.PR === 'N' && m.UI === 'N' ? 0
    : (m.AV === 'N' || m.PR === 'N' || m.UI === 'N') && m.AV !== 'P' ? 1 : 2;
  const eq2 = m.AC === 'L' && m.AT === 'N' ? 0 : 1;
  const eq3 = m.VC === 'H' && m.VI === 'H' ? 0 : m.VC === 'H' || m.VI === 'H' || m.VA === 'H' ? 1 : 2;
  // EQ4 level 0 needs MSI:S or MSA:S (safety), an environmental value a base vector cannot have
  const eq4 = m.SC === 'H' || m.SI === 'H' || m.SA === 'H' ? 1 : 2;
  const eq5 = m.E === 'A' ? 0 : m.E === 'P' ? 1 : 2;
  const eq6 = (m.CR === 'H' && m.VC === 'H') || (m.IR === 'H' && m.VI === 'H') || (m.AR === 'H' && m.VA === 'H') ? 0 : 1;
  return `${eq1}${eq2}${eq3}${eq4}${eq5}${eq6}`;
}

// Severity levels of each value within its metric (cvss_score.js): distances are sums of these.
const LEVELS: Record<string, Record<string, number>> = {
  AV: { N: 0.0, A: 0.1, L: 0.2, P: 0.3 }, PR: { N: 0.0, L: 0.1, H: 0.2 }, UI: { N: 0.0, P: 0.1, A: 0.2 },
  AC: { L: 0.0, H: 0.1 }, AT: { N: 0.0, P: 0.1 },
  VC: { H: 0.0, L: 0.1, N: 0.2 }, VI: { H: 0.0, L: 0.1, N: 0.2 }, VA: { H: 0.0, L: 0.1, N: 0.2 },
  SC: { H: 0.1, L: 0.2, N: 0.3 }, SI: { S: 0.0, H: 0.1, L: 0.2, N: 0.3 }, SA: { S: 0.0, H: 0.1, L: 0.2, N: 0.3 },
  CR: { H: 0.0, M: 0.1, L: 0.2 }, IR: { H: 0.0, M: 0.1, L: 0.2 }, AR: { H: 0.0, M: 0.1, L: 0.2 },
};

// The highest-severity vectors of each EQ level (max_composed.js); EQ3 is indexed by EQ6 too.
const MAX_COMPOSED: {
  eq1: string[][]; eq2: string[][]; eq3: string[][][]; eq4: string[][]; eq5: string[][];
} = {
  eq1: [['AV:N/PR:N/UI:N/'], ['AV:A/PR:N/UI:N/', 'AV:N/PR:L/UI:N/', 'AV:N/PR:N/UI:P/'], ['AV:P/PR:N/UI:N/', 'AV:A/PR:L/UI:P/']],
  eq2: [['AC:L/AT:N/'], ['AC:H/AT:N/', 'AC:L/AT:P/']],
  eq3: [
    [['VC:H/VI:H/VA:H/CR:H/IR:H/AR:H/'], ['VC:H/VI:H/VA:L/CR:M/IR:M/AR:H/', 'VC:H/VI:H/VA:H/CR:M/IR:M/AR:M/']],
    [['VC:L/VI:H/VA:H/CR:H/IR:H/AR:H/', 'VC:H/VI:L/VA:H/CR:H/IR:H/AR:H/'],
      ['VC:L/VI:H/VA:L/CR:H/IR:M/AR:H/', 'VC:L/VI:H/VA:H/CR:H/IR:M/AR:M/', 'VC:H/VI:L/VA:H/CR:M/IR:H/AR:M/', 'VC:H/VI:L/VA:L/CR:M/IR:H/AR:H/', 'VC:L/VI:L/VA:H/CR:H/IR:H/AR:M/']],
    [[], ['VC:L/VI:L/VA:L/CR:H/IR:H/AR:H/']],
  ],
  eq4: [['SC:H/SI:S/SA:S/'], ['SC:H/SI:H/SA:H/'], ['SC:L/SI:L/SA:L/']],
  eq5: [['E:A/'], ['E:P/'], ['E:U/']],
};

// Depth of each MacroVector in severity steps, +1 (max_severity.js).
const MAX_SEVERITY = { eq1: [1, 4, 5], eq2: [1, 2], eq3eq6: [[7, 6], [8, 8], [NaN, 10]], eq4: [6, 5, 4] };

function parseMax(s: string): Scored {
  const out: Scored = {};
  for (const p of s.split('/')) {
    const [k, v] = p.split(':');
    if (k && v) out[k] = v;
  }
  return out;
}

function at<T>(xs: readonly T[], i: number): T {
  const x = xs[i];
  if (x === undefined) throw new Error(`CVSS v4.0 table index ${i} out of range`);
  return x;
}

/** The base score of a complete, valid set of base metrics. Pure. */
export function cvss4Score(b: Record<Cvss4Metric, string>): number {
  if (b.VC === 'N' && b.VI === 'N' && b.VA === 'N' && b.SC === 'N' && b.SI === 'N' && b.SA === 'N') return 0;
  const m: Scored = { ...b, E: 'A', CR: 'H', IR: 'H', AR: 'H' };
  const mv = cvss4MacroVector(b);
  const [eq1, eq2, eq3, eq4, eq5, eq6] = [...mv].map(Number) as [number, number, number, number, number, number];
  const value = LOOKUP[mv];
  if (value === undefined) throw new Error(`CVSS v4.0 MacroVector ${mv} has no score`);
  const score = (...eqs: number[]): number => LOOKUP[eqs.join('')] ?? NaN;

  // 1a. the next lower MacroVector of each EQ (NaN when there is none)
  const lowerEq1 = score(eq1 + 1, eq2, eq3, eq4, eq5, eq6);
  const lowerEq2 = score(eq1, eq2 + 1, eq3, eq4, eq5, eq6);
  let lowerEq3eq6: number;
  if (eq3 === 0 && eq6 === 0) {
    // two paths down (00 → 01 or 10): the higher-scoring one
    const left = score(eq1, eq2, eq3, eq4, eq5, eq6 + 1);
    const right = score(eq1, eq2, eq3 + 1, eq4, eq5, eq6);
    lowerEq3eq6 = left > right ? left : right;
  } else if (eq3 === 1 && eq6 === 0) lowerEq3eq6 = score(eq1, eq2, eq3, eq4, eq5, eq6 + 1);
  else if (eq6 === 1 && eq3 < 2) lowerEq3eq6 = score(eq1, eq2, eq3 + 1, eq4, eq5, eq6);
  else lowerEq3eq6 = score(eq1, eq2, eq3 + 1, eq4, eq5, eq6 + 1);
  const lowerEq4 = score(eq1, eq2, eq3, eq4 + 1, eq5, eq6);
  const lowerEq5 = score(eq1, eq2, eq3, eq4, eq5 + 1, eq6);

  // 1b. severity distance from the first highest vector of the MacroVector that is at least as severe
  const maxVectors: string[] = [];
  for (const a of at(MAX_COMPOSED.eq1, eq1)) for (const c of at(MAX_COMPOSED.eq2, eq2))
    for (const d of at(at(MAX_COMPOSED.eq3, eq3), eq6)) for (const e of at(MAX_COMPOSED.eq4, eq4))
      for (const f of at(MAX_COMPOSED.eq5, eq5)) maxVectors.push(a + c + d + e + f);
  let dist: Record<string, number> = {};
  for (const mx of maxVectors) {
    const max = parseMax(mx);
    // as the reference: when no max vector dominates, the last one's distances are used
    dist = Object.fromEntries(Object.keys(LEVELS).map((k) => [k, lv(k, m[k]) - lv(k, max[k])]));
    if (Object.values(dist).every((x) => x >= 0)) break;
  }
  const d = (k: string): number => dist[k] ?? 0;
  const current = {
    eq1: d('AV') + d('PR') + d('UI'),
    eq2: d('AC') + d('AT'),
    eq3eq6: d('VC') + d('VI') + d('VA') + d('CR') + d('IR') + d('AR'),
    eq4: d('SC') + d('SI') + d('SA'),
  };
  const step = 0.1;
  const parts: Array<[number, number, number]> = [
    [value - lowerEq1, current.eq1, at(MAX_SEVERITY.eq1, eq1) * step],
    [value - lowerEq2, current.eq2, at(MAX_SEVERITY.eq2, eq2) * step],
    [value - lowerEq3eq6, current.eq3eq6, at(at(MAX_SEVERITY.eq3eq6, eq3), eq6) * step],
    [value - lowerEq4, current.eq4, at(MAX_SEVERITY.eq4, eq4) * step],
    // EQ5: the proportion is always 0, but an existing lower MacroVector still counts in the mean
    [value - lowerEq5, 0, 1],
  ];
  let n = 0;
  let sum = 0;
  for (const [available, cur, depth] of parts) {
    if (Number.isNaN(available)) continue;
    n += 1;
    sum += available * (cur / depth);
  }
  const v = Math.min(10, Math.max(0, value - (n === 0 ? 0 : sum / n)));
  // round half up to one decimal; the epsilon keeps 6.05 (stored as 6.04999…) from rounding down
  return Math.round((v + 1e-6) * 10) / 10;
}

function lv(metric: string, value: string | undefined): number {
  return LEVELS[metric]?.[value ?? ''] ?? NaN;
}

/** The CVE JSON 5 `cvssV4_0` object (names and value words as in FIRST's cvss-v4.0 JSON schema). */
export function cvss4Json(c: CvssV4): Record<string, string | number> {
  const m = c.metrics;
  const cia = (v: string): string => ({ H: 'HIGH', L: 'LOW', N: 'NONE' } as Record<string, string>)[v] ?? '';
  return {
    version: '4.0',
    vectorString: c.vector,
    baseScore: c.baseScore,
    baseSeverity: c.baseSeverity,
    attackVector: ({ N: 'NETWORK', A: 'ADJACENT', L: 'LOCAL', P: 'PHYSICAL' } as Record<string, string>)[m.AV] ?? '',
    attackComplexity: m.AC === 'L' ? 'LOW' : 'HIGH',
    attackRequirements: m.AT === 'N' ? 'NONE' : 'PRESENT',
    privilegesRequired: ({ N: 'NONE', L: 'LOW', H: 'HIGH' } as Record<string, string>)[m.PR] ?? '',
    userInteraction: ({ N: 'NONE', P: 'PASSIVE', A: 'ACTIVE' } as Record<string, string>)[m.UI] ?? '',
    vulnConfidentialityImpact: cia(m.VC),
    vulnIntegrityImpact: cia(m.VI),
    vulnAvailabilityImpact: cia(m.VA),
    subConfidentialityImpact: cia(m.SC),
    subIntegrityImpact: cia(m.SI),
    subAvailabilityImpact: cia(m.SA),
  };
}
