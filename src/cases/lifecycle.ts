/**
 * The case lifecycle: one table of allowed transitions (DESIGN.md "Case lifecycle"). Pure.
 */
export const caseStates = ['new', 'triaged', 'accepted', 'scheduled', 'published', 'closed', 'rejected', 'duplicate'] as const;
export type CaseState = (typeof caseStates)[number];

const allowed: Record<CaseState, readonly CaseState[]> = {
  new: ['triaged', 'accepted', 'rejected', 'duplicate'],
  triaged: ['accepted', 'rejected', 'duplicate'],
  accepted: ['scheduled', 'published', 'rejected', 'duplicate'],
  scheduled: ['accepted', 'published'],
  published: ['closed'],
  closed: ['accepted'],
  rejected: ['accepted'],
  duplicate: ['accepted'],
};

/** States a coordinator may name in X-STATE (the others are reached by their own keyword or automatically). */
const byKeyword: Record<CaseState, string | null> = {
  new: null,
  triaged: null,
  accepted: null,
  scheduled: 'set automatically once the embargo is set and the advisory approved',
  published: 'use X-PUBLISH',
  closed: null,
  rejected: null,
  duplicate: 'use X-MERGE: OTHER-CASE-ID',
};

export function isCaseState(s: string): s is CaseState {
  return (caseStates as readonly string[]).includes(s);
}

export type Transition = { ok: true } | { ok: false; reason: string };

/** How a reason names a state: the state itself, or a kind's word for it (cases/kind.ts stateWord). */
export type StateNamer = (s: CaseState) => string;
const plain: StateNamer = (s) => s;

/** Whether `from` → `to` is allowed; the reason says what is allowed instead, naming states with `name`. */
export function transition(from: CaseState, to: CaseState, name: StateNamer = plain): Transition {
  if (from === to) return { ok: true };
  if (allowed[from].includes(to)) return { ok: true };
  return { ok: false, reason: `cannot go from ${name(from)} to ${name(to)}; allowed from ${name(from)}: ${allowed[from].map(name).join(', ') || 'none'}` };
}

/** Like transition, for a state named in X-STATE: also refuses states that have their own keyword. */
export function keywordTransition(from: CaseState, to: string, name: StateNamer = plain): Transition {
  if (!isCaseState(to)) return { ok: false, reason: `unknown state "${to}"; states are: ${caseStates.map(name).join(', ')}` };
  const own = byKeyword[to];
  if (own && from !== to) return { ok: false, reason: `state ${name(to)} cannot be set with X-STATE: ${own}` };
  if (['closed', 'rejected', 'duplicate'].includes(from) && to === 'accepted') return { ok: false, reason: 'use X-REOPEN to reopen a case' };
  return transition(from, to, name);
}

/** Open states: the case is still being handled. */
export function isOpen(s: CaseState): boolean {
  return !['published', 'closed', 'rejected', 'duplicate'].includes(s);
}

/** The states of a case still being worked on (the planner and digest look at these). */
export const openStates: readonly CaseState[] = caseStates.filter((s) => isOpen(s));
