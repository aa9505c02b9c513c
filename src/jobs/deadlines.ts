import { iso } from '../clock.js';
import type { Vmtd } from '../context.js';
import { composeLetter, keyBook, lettersToCoordinators } from '../compose/letters.js';
import { formatUtc } from '../commands/embargo.js';
import { recipientKey } from '../identity/recipient-key.js';
import { withKeysOf } from '../identity/projects.js';
import { deadlineActions, deadlineHorizon, type DeadlineAction } from '../scheduler/deadlines.js';
import { membersOf } from '../store/cases.js';
import { addEvent } from '../store/events.js';
import { claimOnce } from '../store/notices.js';
import { enqueue, type OutgoingMail } from '../store/outbox.js';
import { deadlineFacts, deadlineKeysDone, publishAtLimit, type DeadlineFacts } from '../store/projects.js';
import { notifiedStakeholders } from '../store/job-facts.js';

/** What one pass of the deadline job did (keys of the notices sent, and of those that failed: tried again next pass). */
export interface DeadlineSummary {
  sent: string[];
  failed: string[];
}

/** The case's open status, as the project's contacts and the coordinators read it in a reminder. */
function statusLines(f: DeadlineFacts): string[] {
  return [
    `  state:     ${f.state}`,
    `  embargo:   ${f.embargo ? formatUtc(new Date(f.embargo)) : 'not set'}`,
    `  projects:  ${f.projects.map((p) => `${p.id} (${p.status})`).join(', ') || 'none'}`,
    `  advisory:  ${f.advisory ? `revision ${f.advisory.revision}, ${f.advisory.state}` : 'none yet'}`,
  ];
}

function letterText(ctx: Pick<Vmtd, 'config'>, a: DeadlineAction, f: DeadlineFacts): { subject: string; text: string } {
  const p = ctx.config.policy;
  const limit = formatUtc(a.limit);
  const then =
    p.atLimit === 'publish'
      ? 'the approved advisory is published then (the coordinators are alerted instead when none is approved)'
      : 'the coordinators are alerted then and the case moves to public disclosure';
  const progress = f.projects.length > 0 ? [`Projects: tell us your progress (signed, to the case address):`, `  X-CASE: ${f.id}`, `  X-PROJECT-STATUS: ${f.projects[0]!.id} affected|fixed|not-affected`] : [];
  if (a.kind === 'reminder') {
    return {
      subject: `[${f.id}] disclosure limit in ${a.days} days`,
      text: [
        `Case ${f.id} reaches the disclosure limit of the ${ctx.config.instance.name} in ${a.days} days:`,
        `${limit} (${p.maxEmbargoDays} days after the report). Unless the coordinators agree to an`,
        `override (X-EMBARGO-OVERRIDE), ${then}.`,
        '',
        'Open status:',
        ...statusLines(f),
        '',
        ...progress,
      ].join('\n'),
    };
  }
  return {
    subject: `[${f.id}] disclosure limit reached`,
    text: [
      `Case ${f.id} reached the disclosure limit of the ${ctx.config.instance.name} (${limit},`,
      `${p.maxEmbargoDays} days after the report) without an override.`,
      '',
      a.then === 'publish'
        ? 'As the policy says (policy.atLimit: publish), the case is published now: the approved advisory goes out.'
        : `${p.atLimit === 'publish' ? 'No approved advisory can be published, so the' : 'The'} coordinators decide the disclosure now: publish (X-ADVISORY, X-APPROVE, X-PUBLISH) or, with good reason, X-EMBARGO-OVERRIDE.`,
      '',
      'Status:',
      ...statusLines(f),
    ].join('\n'),
  };
}

/** The mails of one deadline notice: to each project contact of the case (encrypted to their pinned key) and to the coordinators. */
async function lettersFor(ctx: Omit<Vmtd, 'verpKey' | 'crypto'>, a: DeadlineAction, f: DeadlineFacts): Promise<{ mails: OutgoingMail[]; skipped: Array<{ email: string; problem: string }> }> {
  const { subject, text } = letterText(ctx, a, f);
  const contacts = membersOf(ctx.db, f.id).filter((m) => m.role === 'project-contact');
  await withKeysOf(ctx.keyring, contacts.map((m) => m.fingerprint), ctx.clock());
  const mails: OutgoingMail[] = [];
  const skipped: Array<{ email: string; problem: string }> = [];
  for (const m of contacts) {
    const choice = await recipientKey(keyBook(ctx), { email: m.email, fingerprint: m.fingerprint });
    if (!choice.ok) skipped.push({ email: m.email, problem: choice.problem });
    else mails.push(await composeLetter(ctx, { to: m.email, key: choice.key, caseId: f.id, kind: 'notice', subject, text, autoSubmitted: 'auto-generated' }));
  }
  // At the limit this is the coordinators' one alert (the planner sends none of its own): it names the told stakeholders.
  const told = a.kind === 'limit' ? notifiedStakeholders(ctx.db, f.id) : [];
  const extra = [
    ...(told.length > 0 ? [`Stakeholders told of the embargo: ${told.join(', ')}; ${a.kind === 'limit' && a.then === 'publish' ? 'each is told that it is public' : 'each gets an update that the embargo reached the policy maximum'}.`] : []),
    ...(skipped.length > 0 ? [`Not sent to (no usable key): ${skipped.map((s) => s.email).join(', ')}`] : []),
  ];
  mails.push(...(await lettersToCoordinators(ctx, { caseId: f.id, kind: 'alert', subject, text: [text, ...extra].join('\n\n'), autoSubmitted: 'auto-generated' })));
  return { mails, skipped };
}

/**
 * The disclosure-limit job (policy.maxEmbargoDays, reminderDays, atLimit) at `now`: reminds each
 * open case's project contacts and the coordinators before the limit, and at the limit publishes
 * (approved advisory, policy `publish`) or alerts. Each notice is claimed by its key in the
 * transaction that queues its mails: never twice, also across processes. One failing case is
 * logged and tried again next pass; the others go on. Never throws: the planner's pass goes on whatever happens here.
 */
export async function runDeadlines(ctx: Omit<Vmtd, 'verpKey' | 'crypto'>, now: Date): Promise<DeadlineSummary> {
  const p = ctx.config.policy;
  const summary: DeadlineSummary = { sent: [], failed: [] };
  let facts: DeadlineFacts[];
  let actions: DeadlineAction[];
  try {
    const policy = { maxEmbargoDays: p.maxEmbargoDays, reminderDays: p.reminderDays, atLimit: p.atLimit };
    // Cases reported after the horizon have nothing due; a day's margin keeps any stored time format in.
    const upTo = iso(new Date(deadlineHorizon(now, policy).getTime() + 86_400_000));
    facts = deadlineFacts(ctx.db, upTo);
    const cases = facts.map((f) => ({ id: f.id, state: f.state, createdAt: new Date(f.createdAt), overridden: f.overridden, approved: f.advisory?.state === 'approved' }));
    actions = deadlineActions(cases, now, policy, deadlineKeysDone(ctx.db, upTo));
  } catch (err) {
    // The caller's other work goes on; the next pass reads the facts again.
    ctx.log.error({ err: (err as Error)?.message ?? String(err) }, 'reading the deadline facts failed; the next pass tries again');
    return { sent: [], failed: ['deadline facts'] };
  }
  for (const a of actions) {
    try {
      const f = facts.find((x) => x.id === a.caseId)!;
      const { mails, skipped } = await lettersFor(ctx, a, f);
      const at = iso(ctx.clock());
      const claimed = ctx.db
        .transaction(() => {
          if (!claimOnce(ctx.db, a.key, a.kind === 'reminder' ? 'deadline-reminder' : 'deadline-limit', at)) return false;
          if (a.kind === 'limit' && a.then === 'publish' && publishAtLimit(ctx.db, a.caseId, at)) {
            addEvent(ctx.db, a.caseId, at, 'vmtd', 'state', { from: f.state, to: 'published' });
          }
          for (const m of mails) enqueue(ctx.db, m, at);
          addEvent(ctx.db, a.caseId, at, 'vmtd', a.kind === 'reminder' ? 'deadline-reminder' : 'deadline-reached', {
            limit: iso(a.limit),
            ...(a.kind === 'reminder' ? { days: a.days } : { then: a.then }),
            ...(skipped.length > 0 ? { notSent: skipped.map((s) => s.email) } : {}),
          });
          return true;
        })
        .immediate();
      if (claimed) summary.sent.push(a.key);
    } catch (err) {
      summary.failed.push(a.key);
      ctx.log.error({ key: a.key, err: (err as Error)?.message ?? String(err) }, 'deadline notice failed; the next pass tries again');
    }
  }
  return summary;
}
