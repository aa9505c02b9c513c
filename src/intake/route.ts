import type { Recipient } from '../mail/addresses.js';

export interface CaseReferences {
  recipients: Recipient[];
  subjectIds: string[];
  /** In-Reply-To then References, newest first. */
  messageIds: string[];
}

/**
 * The case a message belongs to, by the strength of its reference: the case address it was sent
 * to, then a [CASE-ID] subject tag, then a Message-ID of the thread. Pure: lookups are passed in.
 */
export function findCase(refs: CaseReferences, exists: (id: string) => boolean, caseOfMessageId: (mid: string) => string | undefined): string | undefined {
  for (const r of refs.recipients) if (r.kind === 'case' && exists(r.caseId)) return r.caseId;
  for (const id of refs.subjectIds) if (exists(id)) return id;
  for (const mid of refs.messageIds) {
    const c = caseOfMessageId(mid);
    if (c) return c;
  }
  return undefined;
}

/** Project IDs a report names on `Project:` lines among its first lines (like a bug tracker pseudo-header). */
export function namedProjects(text: string, known: string[]): string[] {
  return projectNames(text, known).known;
}

/**
 * The names on a report's `Project:` lines among its first ten lines, lower-cased, each once, in
 * order: those that are registered project IDs (as before: lower-case IDs) and those that are not. Pure.
 */
export function projectNames(text: string, registered: string[]): { known: string[]; unknown: string[] } {
  const head = text.split(/\r?\n/).slice(0, 10);
  const names = head.flatMap((l) => /^project:\s*(.+)$/i.exec(l.trim())?.[1]?.split(/[\s,]+/) ?? []).map((n) => n.toLowerCase()).filter((n) => n !== '');
  const all = [...new Set(names)];
  // Known names as registered (IDs are compared as the report writes them, lower-cased).
  return { known: all.filter((n) => registered.includes(n)), unknown: all.filter((n) => !registered.includes(n)) };
}

/**
 * The relay preamble's note for project names nobody registered, so that the members see a name
 * the reporter meant (a typo, a project not yet added) instead of its silent loss. Names are cut
 * to 40 characters and at most five are listed. Pure.
 */
export function unknownProjectsNote(unknown: string[]): string | null {
  if (unknown.length === 0) return null;
  const shown = unknown.slice(0, 5).map((n) => `"${n.length > 40 ? `${n.slice(0, 40)}…` : n}"`);
  const more = unknown.length > 5 ? ` and ${unknown.length - 5} more` : '';
  return unknown.length === 1
    ? `the report names project ${shown[0]}, which is not registered (vmtd project add, then X-ADD-PROJECT)`
    : `the report names projects ${shown.join(', ')}${more}, which are not registered (vmtd project add, then X-ADD-PROJECT)`;
}

/** Where a new report goes among the registered projects. */
export interface ProjectRouting {
  /** Registered, active projects the report is for: their contacts become members. */
  known: string[];
  /** Names nobody registered. */
  unknown: string[];
  /** Registered projects marked inactive: not made members. */
  inactive: string[];
  /** The project of the address it was sent to (security+project-ID@), if any. */
  addressed: string | null;
}

/**
 * The projects a new report is for: the project address it was sent to (security+project-ID@),
 * then its `Project:` lines, each once, split into active registered ones, inactive ones and
 * unknown names. Pure: the registry is passed in.
 */
export function routeProjects(recipients: Recipient[], text: string, registry: ReadonlyArray<{ id: string; active: boolean }>): ProjectRouting {
  const addressed = recipients.find((r): r is Extract<Recipient, { kind: 'project' }> => r.kind === 'project')?.projectId ?? null;
  const named = projectNames(text, []).unknown;
  const all = [...new Set([...(addressed ? [addressed] : []), ...named])];
  const of = (id: string) => registry.find((p) => p.id === id);
  return {
    known: all.filter((id) => of(id)?.active === true),
    unknown: all.filter((id) => !of(id)),
    inactive: all.filter((id) => of(id)?.active === false),
    addressed,
  };
}

/** The relay preamble's note for inactive projects a report names. Pure. */
export function inactiveProjectsNote(inactive: string[]): string | null {
  return inactive.length === 0 ? null : `the report names project${inactive.length > 1 ? 's' : ''} ${inactive.map((n) => `"${n}"`).join(', ')}, registered but inactive: their contacts were not added (vmtd project update ID --active)`;
}

/**
 * What the reporter is told when the project they wrote to is not there (unknown or inactive), so
 * that they know who reads their report. Holds nothing of the report: it may travel in clear. Pure.
 */
export function projectAnswerNote(r: ProjectRouting): string | null {
  const missing = [...r.unknown.map((id) => `"${id}" is not a project registered with us`), ...r.inactive.map((id) => `"${id}" is not active with us at the moment`)];
  if (missing.length === 0) return null;
  return [`The project you wrote to could not be reached: ${missing.join('; ')}.`, `Your report is kept and read by our coordinators${r.known.length > 0 ? ` and the contacts of ${r.known.join(', ')}` : ''}, who will find the right people.`].join('\n');
}
