/**
 * Incidents in the command language (issue 18): X-KIND, and which stakeholders an incident's
 * X-NOTIFY tells at once. Pure: decisions only; the notice itself is composed in
 * compose/incident.ts and queued with the command (intake/command-message.ts).
 */
import { caseKinds, isCaseKind, stateWord } from '../cases/kind.js';
import type { CaseRecord } from '../cases/record.js';

/** A keyword line as grammar.ts parses it (its CommandLine; not imported: keywords.ts → here → grammar.ts would be a cycle). */
export interface KeywordLine {
  keyword: string;
  args: string;
  line: string;
}

export type KindOutcome = { ok: true; note?: string } | { ok: false; reason: string };

/**
 * X-KIND: incident|vulnerability. Sets the case's kind (case-insensitive); the state stays what it
 * is and is named with the new kind's word. Refuses an unknown kind naming the two, and a case
 * that is already public (a published advisory's kind is what was published). Mutates the draft.
 */
export function setKind(d: CaseRecord, args: string): KindOutcome {
  const kind = args.trim().toLowerCase();
  if (!isCaseKind(kind)) return { ok: false, reason: `unknown kind "${args}"; kinds are ${caseKinds.join(', ')}` };
  const before = d.kind ?? 'vulnerability';
  if (kind === before) return { ok: true, note: `the case is already ${kindArticle(kind)}` };
  if (d.state === 'published') return { ok: false, reason: `the case is already ${stateWord(before, d.state)}: its kind cannot change` };
  d.kind = kind;
  const told = d.stakeholders.length > 0 ? `; to tell ${d.stakeholders.join(', ')} now, send X-NOTIFY with the notice text as the comment` : '';
  return {
    ok: true,
    note: kind === 'incident'
      ? `the case is an incident, ${stateWord(kind, d.state)} (states: reported, investigating, contained, disclosed, closed); X-NOTIFY: STAKEHOLDER tells downstreams at once, encrypted${told}`
      : `the case is a vulnerability, ${d.state}`,
  };
}

function kindArticle(kind: string): string {
  return kind === 'incident' ? 'an incident' : 'a vulnerability';
}

/** What an incident's X-NOTIFY sends now: the stakeholders to tell, or why the command must fail. */
export type IncidentNotice = { ok: true; stakeholders: string[] } | { ok: false; line: string; reason: string };

/**
 * The stakeholders an applied command message tells at once with the incident notice: those its
 * X-NOTIFY lines name, when the case is an incident after the message (X-KIND may come before or
 * after X-NOTIFY). An incident cannot wait for an embargo's notice window, so the notice goes with
 * the command; its text is the message's comment (what happened, what downstreams should do), and
 * without one the X-NOTIFY line fails. A vulnerability's X-NOTIFY plans the usual pre-disclosure:
 * nothing here. Pure.
 */
export function incidentNotice(after: CaseRecord, lines: readonly KeywordLine[], comment: string): IncidentNotice {
  if ((after.kind ?? 'vulnerability') !== 'incident') return { ok: true, stakeholders: [] };
  const notify = lines.filter((l) => l.keyword === 'NOTIFY');
  if (notify.length === 0) return { ok: true, stakeholders: [] };
  if (comment.trim() === '') {
    return { ok: false, line: notify[0]!.line, reason: "an incident's notice goes out now and its text is this message's comment: write what happened and what downstreams should do below the keyword lines" };
  }
  const ids = notify.flatMap((l) => l.args.split(/[\s,]+/).filter(Boolean).map((x) => x.toLowerCase()));
  return { ok: true, stakeholders: [...new Set(ids)].filter((id) => after.stakeholders.includes(id)).sort() };
}
