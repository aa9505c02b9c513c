/**
 * An incident's publication (issue 18): the public mail of an incident case is its advisory text
 * after the incident preface, so readers of the lists see at once that a project's infrastructure
 * (not only its code) was compromised. The site's files stay the advisory as rendered (a rebuild
 * gives the same bytes).
 */
import type { Vmtd } from '../context.js';
import { incidentPublicPreface, projectsText } from '../compose/incident.js';
import { loadCaseRecord } from '../store/case-records.js';

/** The text mailed to the public lists: `text` unchanged for a vulnerability, after the preface for an incident. */
export function incidentPublicText(ctx: Pick<Vmtd, 'config' | 'db' | 'sealer'>, caseId: string, text: string): string {
  const d = loadCaseRecord(ctx.db, ctx.sealer, caseId);
  if (d?.kind !== 'incident') return text;
  return `${incidentPublicPreface(ctx, projectsText(d)).trimEnd()}\n\n${text}`;
}
