/**
 * Digest lines for slow projects (issue 18): a project with open cases whose contacts take long to
 * answer (median time to first response, or an open case not answered yet) or that has an open
 * case past the disclosure limit. Pure: the facts come from store/projects.ts (projectCaseFacts);
 * the daily digest appends these lines to its own.
 */
import { projectRecord, type ProjectCaseFacts } from '../cases/project.js';

/** How long a project's contacts may take to first answer before the digest calls it slow. */
export const SLOW_RESPONSE_HOURS = 72;

const HOUR = 3_600_000;
const OPEN = ['new', 'triaged', 'accepted', 'scheduled'];

/**
 * One line per slow project, in ID order. Only projects with open cases are named: a project's
 * past is in `vmtd project show`, the digest is about what can still be chased. Reasons: the
 * median first response over all its cases exceeds SLOW_RESPONSE_HOURS; an open case whose
 * contacts joined more than SLOW_RESPONSE_HOURS ago and never wrote; an open case past
 * `maxEmbargoDays` without an override. Pure.
 */
export function slowProjects(projects: ReadonlyArray<{ id: string; cases: ProjectCaseFacts[] }>, now: Date, maxEmbargoDays: number): string[] {
  const lines: string[] = [];
  for (const p of [...projects].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    const open = p.cases.filter((c) => OPEN.includes(c.state));
    if (open.length === 0) continue;
    const r = projectRecord(p.cases, now, maxEmbargoDays);
    const reasons: string[] = [];
    if (r.firstResponse.medianHours !== null && r.firstResponse.medianHours > SLOW_RESPONSE_HOURS) reasons.push(`median first response ${r.firstResponse.medianHours} h`);
    const silent = open.filter((c) => c.contactsAddedAt && !c.firstResponseAt && now.getTime() - Date.parse(c.contactsAddedAt) > SLOW_RESPONSE_HOURS * HOUR).map((c) => c.caseId);
    if (silent.length > 0) reasons.push(`no answer for more than ${SLOW_RESPONSE_HOURS / 24} days in ${silent.join(', ')}`);
    const over = r.embargoOverruns.caseIds.filter((id) => r.cases.openIds.includes(id));
    if (over.length > 0) reasons.push(`past the ${maxEmbargoDays}-day limit: ${over.join(', ')}`);
    if (reasons.length > 0) lines.push(`project ${p.id} is slow: ${reasons.join('; ')} (vmtd project show ${p.id})`);
  }
  return lines;
}
