/**
 * The letters of an incident (issue 18): the notice to affected downstreams, sent with the
 * command that names them (an incident is told now, not at an embargo's notice window), and the
 * public notice's preface. Each stakeholder's notice is signed by the team key and encrypted to
 * the stakeholder's configured key, like a pre-disclosure; a stakeholder without a usable key gets
 * nothing and the coordinators are told. Decisions: docs/architecture.md "Incidents".
 */
import type { Vmtd } from '../context.js';
import { stateWord } from '../cases/kind.js';
import type { CaseRecord } from '../cases/record.js';
import { formatUtc } from '../commands/embargo.js';
import { recipientKey } from '../identity/recipient-key.js';
import { caseAddress } from '../mail/addresses.js';
import { isoMinute } from '../scheduler/planner.js';
import type { OutgoingMail } from '../store/outbox.js';
import { composeLetter, keyBook, lettersToCoordinators } from './letters.js';
import { renderNotice } from './notice-text.js';

/** One stakeholder's incident notice, queued; `embargo` is the date it announced (minute ISO, or 'none'). */
export interface IncidentNoticeSent {
  stakeholder: string;
  embargo: string;
}

export interface IncidentNoticePlan {
  mails: OutgoingMail[];
  sent: IncidentNoticeSent[];
  /** Stakeholders left out, each with why (no usable key, not configured). */
  missing: Array<{ stakeholder: string; problem: string }>;
}

/** The projects an incident names, for its letters: their IDs, or "the affected project". */
export function projectsText(d: Pick<CaseRecord, 'projects'>): string {
  const ids = Object.keys(d.projects).sort();
  return ids.length === 0 ? 'the affected project' : ids.join(', ');
}

/**
 * The incident notice of case `d` to each stakeholder in `ids`, with `text` (the command's
 * comment) as what happened and what to do: encrypted and signed, its outer subject naming only
 * the case. Stakeholders without a usable key are left out, and the coordinators get one alert
 * naming them (nothing is ever sent in clear).
 */
export async function incidentNoticeLetters(ctx: Omit<Vmtd, 'verpKey' | 'crypto'>, d: CaseRecord, ids: readonly string[], text: string): Promise<IncidentNoticePlan> {
  const plan: IncidentNoticePlan = { mails: [], sent: [], missing: [] };
  const i = ctx.config.instance;
  const vars = {
    teamName: i.name,
    teamFingerprint: ctx.team.fingerprint,
    caseId: d.id,
    caseAddress: caseAddress(i, d.id),
    title: d.title,
    projects: projectsText(d),
    state: stateWord('incident', d.state),
    text: text.trim(),
    embargoed: d.embargo !== null,
    disclosure: d.embargo ? formatUtc(new Date(d.embargo)) : '',
  };
  for (const id of ids) {
    const s = ctx.config.stakeholders.find((x) => x.id === id);
    if (!s) {
      plan.missing.push({ stakeholder: id, problem: 'not a configured stakeholder' });
      continue;
    }
    const choice = await recipientKey(keyBook(ctx), { email: s.email, fingerprint: null });
    if (!choice.ok) {
      plan.missing.push({ stakeholder: id, problem: choice.problem });
      continue;
    }
    plan.mails.push(
      await composeLetter(ctx, {
        to: s.email,
        key: choice.key,
        caseId: d.id,
        kind: 'notice',
        subject: `${s.subjectPrefix}[${d.id}] security incident: ${d.title}`,
        outerSubject: `${s.subjectPrefix}[${d.id}] security incident notice`,
        text: renderNotice(ctx, 'incident-notice', vars),
        autoSubmitted: 'auto-generated',
      }),
    );
    plan.sent.push({ stakeholder: id, embargo: isoMinute(d.embargo ? new Date(d.embargo) : null) });
  }
  if (plan.missing.length > 0) {
    plan.mails.push(
      ...(await lettersToCoordinators(ctx, {
        caseId: d.id,
        kind: 'alert',
        subject: `[${d.id}] incident notice not sent to every stakeholder`,
        text: [`The incident notice of ${d.id} was not sent to:`, ...plan.missing.map((m) => `- ${m.stakeholder}: ${m.problem}`), 'Nothing is sent in clear: fix the key and send X-NOTIFY again.'].join('\n'),
        autoSubmitted: 'auto-generated',
      })),
    );
  }
  return plan;
}

/** The preface of an incident's public advisory mail (templates/notices/incident-public.txt), before the advisory text. */
export function incidentPublicPreface(ctx: Pick<Vmtd, 'config'>, projects: string): string {
  return renderNotice(ctx, 'incident-public', { projects, teamName: ctx.config.instance.name });
}
