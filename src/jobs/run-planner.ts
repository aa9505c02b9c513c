import { iso } from '../clock.js';
import type { Vmtd } from '../context.js';
import { publishAdvisory } from '../advisories/index.js';
import { renewSecurityTxt, siteOptions } from '../advisories/site.js';
import { caseAddress } from '../mail/addresses.js';
import { describeKey } from '../pgp/keys.js';
import { membersOf } from '../store/cases.js';
import { addEvent } from '../store/events.js';
import { quarantineReasonsSince } from '../store/spool.js';
import { enqueue, type OutgoingMail } from '../store/outbox.js';
import { composeLetter, keyBook, lettersToCoordinators } from '../compose/letters.js';
import { recipientKey } from '../identity/recipient-key.js';
import { formatUtc } from '../commands/embargo.js';
import { latestAdvisory, publicationsOf, publishable, recordPublication, releasable, type StoredAdvisory } from '../store/advisories.js';
import { digestItems, quarantineSummary } from '../scheduler/digest.js';
import { digestExtras } from './digest-extras.js';
import { alertUnusableCoordinatorKeys } from './key-alerts.js';
import { fileOptions, publicAdvisory, publicSubject, siteWriteOptions } from './publication.js';
import { renderNotice } from '../compose/notice-text.js';
import { planReads } from '../store/plan-facts.js';
import { caseTimes, digestFacts, markPublished, notifiedStakeholders } from '../store/job-facts.js';
import { claimNotice, linkNoticeMail } from '../store/notices.js';
import { cveReminders } from '../scheduler/cve-reminders.js';
import { cveReminderFacts } from '../store/cve-facts.js';
import { fixReminders } from '../scheduler/fix-reminders.js';
import { fixReminderFacts } from '../store/fix-facts.js';
import { slowProjects } from '../scheduler/slow-projects.js';
import { openProjectsCaseFacts } from '../store/projects.js';
import { runDeadlines } from './deadlines.js';
import { incidentPublicText } from './incident.js';
import { dailyMinute, isoMinute, noticeDue, noticeWindowText, plan, type Action } from '../scheduler/planner.js';

export interface TickSummary {
  at: string;
  due: number;
  sent: string[];
  skipped: string[];
  /** Keys of actions that failed this pass (logged; tried again on the next pass). */
  failed: string[];
}


/** `YYYY-MM-DD, 1500UTC`, as distros lists write disclosure times. */
export function disclosureTime(d: Date): string {
  return `${d.toISOString().slice(0, 10)}, ${d.toISOString().slice(11, 13)}${d.toISOString().slice(14, 16)}UTC`;
}

interface Effect {
  mails: OutgoingMail[];
  /** Database changes made in the claiming transaction. */
  apply?: (at: string) => void;
  /** Files written after the transaction (idempotent). */
  after?: () => Promise<void>;
  event: { caseId: string | null; kind: string; detail: Record<string, unknown> };
  notice: { caseId: string | null; kind: string; stakeholder?: string; embargo?: string };
}

function advisoryFacts(a: StoredAdvisory | undefined, fallbackTitle: string) {
  const adv = a?.advisory;
  return {
    title: adv?.title ?? fallbackTitle,
    cves: adv?.vulnerabilities.map((v) => v.cveId).join(', ') || 'none assigned yet',
    products: adv?.affectedProducts.map((p) => p.product).join(', ') || 'the affected software',
    description: adv?.description.trim() ?? '',
    affected: adv?.affectedProducts.map((p) => `${p.product} ${p.version}`) ?? [],
  };
}

/** The digest's items, read once per pass however many coordinators get it (each reads the whole team's). */
type DigestItems = () => Promise<string[]>;

async function effectOf(ctx: Omit<Vmtd, 'verpKey' | 'crypto'>, a: Action, digestItemsOfPass: DigestItems): Promise<Effect | undefined> {
  const i = ctx.config.instance;
  const teamName = i.name;
  if (a.kind === 'digest') {
    const items = await digestItemsOfPass();
    const quarantine = quarantineSummary(quarantineReasonsSince(ctx.db, iso(new Date(ctx.clock().getTime() - 86_400_000))));
    if (items.length === 0 && quarantine.total === 0) return { mails: [], event: { caseId: null, kind: 'digest-empty', detail: { coordinator: a.coordinator } }, notice: { caseId: null, kind: 'digest' } };
    const choice = await recipientKey(keyBook(ctx), { email: a.coordinator, fingerprint: null });
    const mails = choice.ok ? [await composeLetter(ctx, { to: a.coordinator, key: choice.key, caseId: null, kind: 'digest', subject: `vmtd digest ${a.day}`, text: renderNotice(ctx, 'digest', { teamName, day: a.day, items, quarantine }), autoSubmitted: 'auto-generated' })] : [];
    return { mails, event: { caseId: null, kind: 'digest', detail: { coordinator: a.coordinator, items: items.length, quarantined: quarantine.total } }, notice: { caseId: null, kind: 'digest' } };
  }
  const c = caseTimes(ctx.db, a.caseId)!;
  // What leaves the team is an approved (or published) revision, never a draft.
  const stored = latestAdvisory(ctx.db, ctx.sealer, a.caseId, releasable);
  const facts = advisoryFacts(stored, a.caseId);
  const embargo = c.embargo ? new Date(c.embargo) : null;
  const common = { ...facts, caseId: a.caseId, caseAddress: caseAddress(i, a.caseId), teamFingerprint: ctx.team.fingerprint, teamName, disclosure: embargo ? disclosureTime(embargo) : 'not set' };
  switch (a.kind) {
    case 'pre-disclosure':
    case 'update': {
      const s = ctx.config.stakeholders.find((x) => x.id === a.stakeholder)!;
      const lookup = await recipientKey(keyBook(ctx), { email: s.email, fingerprint: null });
      if (!lookup.ok) {
        const alerts = await lettersToCoordinators(ctx, { caseId: a.caseId, kind: 'alert', subject: `[${a.caseId}] ${a.kind} to ${s.id} not sent`, text: `The ${a.kind} notice to ${s.id} <${s.email}> for ${a.caseId} was not sent: ${lookup.problem}. Nothing is sent in clear.`, autoSubmitted: 'auto-generated' });
        return { mails: alerts, event: { caseId: a.caseId, kind: 'notice-failed', detail: { stakeholder: s.id, problem: lookup.problem } }, notice: { caseId: a.caseId, kind: 'failed', stakeholder: s.id } };
      }
      const pre = a.kind === 'pre-disclosure';
      const text = pre
        ? renderNotice(ctx, 'pre-disclosure', { ...common, patches: (stored?.patches ?? []).map((p) => p.name) })
        : renderNotice(ctx, c.kind === 'incident' ? 'incident-update' : 'update', { ...common, leaked: a.reason === 'leaked', overdue: a.reason === 'overdue', cancelled: a.reason === 'cancelled', published: a.reason === 'published' });
      const mail = await composeLetter(ctx, {
        to: s.email,
        key: lookup.key,
        caseId: a.caseId,
        kind: 'notice',
        subject: `${s.subjectPrefix}[${a.caseId}] ${pre ? '' : 'update: '}${facts.title}`,
        outerSubject: `${s.subjectPrefix}[${a.caseId}] ${pre ? 'embargoed vulnerability notice' : c.kind === 'incident' ? 'incident update' : 'embargo update'}`,
        text,
        attachments: pre ? (stored?.patches ?? []).map((p) => ({ name: p.name, type: 'text/x-diff', content: p.content })) : [],
        autoSubmitted: 'auto-generated',
      });
      return {
        mails: [mail],
        event: { caseId: a.caseId, kind: a.kind, detail: { stakeholder: s.id, embargo: isoMinute(embargo) } },
        // The date announced, whatever the reason: the next change is compared with it.
        notice: { caseId: a.caseId, kind: a.kind, stakeholder: s.id, embargo: isoMinute(embargo) },
      };
    }
    case 'short-notice': {
      const s = ctx.config.stakeholders.find((x) => x.id === a.stakeholder)!;
      const text = renderNotice(ctx, 'short-notice', { ...common, stakeholder: s.id, noticeDays: String(s.noticeDays), notice: noticeWindowText(s), due: embargo ? formatUtc(noticeDue(embargo, s)) : '' });
      const mails = await lettersToCoordinators(ctx, { caseId: a.caseId, kind: 'alert', subject: `[${a.caseId}] ${s.id} notice is due, advisory not approved`, text, autoSubmitted: 'auto-generated' });
      return { mails, event: { caseId: a.caseId, kind: 'short-notice', detail: { stakeholder: s.id } }, notice: { caseId: a.caseId, kind: 'short-notice', stakeholder: s.id } };
    }
    case 'unpublished': {
      const why =
        a.reason === 'no-advisory'
          ? 'there is no advisory to publish: send one (X-ADVISORY) and approve it (X-APPROVE)'
          : a.reason === 'not-approved'
            ? `advisory revision ${a.revision} is not approved: approve it (X-APPROVE)`
            : 'the case is not accepted: accept it (X-STATE: accepted)';
      const text = renderNotice(ctx, 'unpublished', { caseId: a.caseId, disclosure: common.disclosure, why });
      const mails = await lettersToCoordinators(ctx, { caseId: a.caseId, kind: 'alert', subject: `[${a.caseId}] disclosure time passed, nothing published`, text, autoSubmitted: 'auto-generated' });
      return { mails, event: { caseId: a.caseId, kind: 'publication-held', detail: { reason: a.reason, revision: a.revision } }, notice: { caseId: a.caseId, kind: 'unpublished' } };
    }
    case 'abnormal': {
      // A leak (the policy maximum is the deadline job's one alert, jobs/deadlines.ts).
      const reason = 'the embargoed details have leaked';
      const next = `the approved advisory is published at ${common.disclosure} (policy.leakGraceHours after the leak), or as soon as one is approved after that time.`;
      const told = notifiedStakeholders(ctx.db, a.caseId);
      const mails = await lettersToCoordinators(ctx, { caseId: a.caseId, kind: 'alert', subject: `[${a.caseId}] moves to the public workflow`, text: renderNotice(ctx, 'abnormal', { caseId: a.caseId, reason, next, stakeholders: told.join(', ') || 'none' }), autoSubmitted: 'auto-generated' });
      return { mails, event: { caseId: a.caseId, kind: 'abnormal-termination', detail: { reason: a.reason } }, notice: { caseId: a.caseId, kind: 'abnormal' } };
    }
    case 'publish': {
      // Only an approved revision is ever published; the planner asks only then, so none here is a
      // race (a new draft since): nothing is claimed, and publication stays due.
      const approved = latestAdvisory(ctx.db, ctx.sealer, a.caseId, publishable);
      if (!approved) {
        ctx.log.warn({ case: a.caseId }, 'publication due but no approved advisory: held');
        return undefined;
      }
      return publication(ctx, a.caseId, approved, common);
    }
    case 'errata':
      return erratum(ctx, a.caseId, a.revision, common);
  }
}

async function publication(ctx: Omit<Vmtd, 'verpKey' | 'log' | 'crypto'>, caseId: string, stored: StoredAdvisory, common: Record<string, unknown>): Promise<Effect> {
  const now = ctx.clock();
  const at = iso(now);
  // Dated the day it goes out, with the credits given by X-CREDIT merged into the YAML's.
  const pub = publicAdvisory(ctx, caseId, stored, publicationsOf(ctx.db, caseId), now);
  const { advisory } = pub;
  // An incident's public mail starts with the incident preface (templates/notices/incident-public.txt).
  const text = incidentPublicText(ctx, caseId, pub.text);
  const mails: OutgoingMail[] = [];
  for (const list of ctx.config.publicLists) {
    const m = await composeLetter(ctx, { to: list, caseId: null, kind: 'advisory', subject: publicSubject(pub), text, autoSubmitted: 'auto-generated' });
    mails.push({ ...m, caseId });
  }
  const reporters = membersOf(ctx.db, caseId).filter((m) => m.role === 'reporter');
  const credits = [...advisory.reporters.map((r) => `${r.name}${r.affiliation ? ` from ${r.affiliation}` : ''} (${r.reported.join(', ')})`), ...advisory.credits.map((c) => `${c.name}${c.affiliation ? ` from ${c.affiliation}` : ''} (${c.type.toLowerCase().replace(/_/g, ' ')})`)];
  for (const r of reporters) {
    const lookup = await recipientKey(keyBook(ctx), { email: r.email, fingerprint: r.fingerprint, learnedKeyAllowed: true });
    const letter = renderNotice(ctx, 'published-reporter', { ...common, advisoryId: advisory.id, credits });
    mails.push(await composeLetter(ctx, { to: r.email, ...(lookup.ok ? { key: lookup.key } : {}), caseId, kind: 'notice', subject: `[${caseId}] published: ${advisory.id}`, text: lookup.ok ? letter : `The advisory for case ${caseId} is now public (${advisory.id}). Thank you.`, autoSubmitted: 'auto-generated' }));
  }
  return {
    mails,
    apply: () => {
      markPublished(ctx.db, caseId, stored.revision, at);
      recordPublication(ctx.db, caseId, stored.revision, at);
    },
    after: async () => {
      await publishAdvisory(advisory, ctx.config.instance.publicDir, { ...siteWriteOptions(ctx, ctx.clock()), ...fileOptions(pub) });
    },
    event: { caseId, kind: 'published', detail: { advisory: advisory.id, revision: stored.revision, lists: ctx.config.publicLists.length } },
    notice: { caseId, kind: 'publish' },
  };
}

/**
 * An erratum: a newer approved revision of a published case goes out like the original (the
 * public lists, clear-signed; the site rewritten: page, index, feed, records) dated as first
 * published with an errata entry for today, and every stakeholder that received the
 * pre-disclosure gets the corrected text, encrypted and signed. A stakeholder without a usable
 * key is left out and the coordinators are told, as for notices.
 */
async function erratum(ctx: Omit<Vmtd, 'verpKey' | 'crypto'>, caseId: string, revision: number, common: Record<string, unknown>): Promise<Effect | undefined> {
  const stored = latestAdvisory(ctx.db, ctx.sealer, caseId, publishable);
  // A newer draft since the plan, or the revision already went out: nothing to do (stays due if approved later).
  if (!stored || stored.revision !== revision) return undefined;
  const now = ctx.clock();
  const at = iso(now);
  const pub = publicAdvisory(ctx, caseId, stored, publicationsOf(ctx.db, caseId), now);
  const subject = publicSubject(pub);
  const mails: OutgoingMail[] = [];
  for (const list of ctx.config.publicLists) {
    const m = await composeLetter(ctx, { to: list, caseId: null, kind: 'advisory', subject, text: pub.text, autoSubmitted: 'auto-generated' });
    mails.push({ ...m, caseId });
  }
  const missing: string[] = [];
  for (const sid of notifiedStakeholders(ctx.db, caseId)) {
    const s = ctx.config.stakeholders.find((x) => x.id === sid);
    if (!s) continue;
    const lookup = await recipientKey(keyBook(ctx), { email: s.email, fingerprint: null });
    if (!lookup.ok) {
      missing.push(`${s.id} <${s.email}>: ${lookup.problem}`);
      continue;
    }
    const intro = renderNotice(ctx, 'errata', { ...common, advisoryId: pub.advisory.id, errata: String(pub.errata) });
    mails.push(await composeLetter(ctx, { to: s.email, key: lookup.key, caseId, kind: 'notice', subject: `${s.subjectPrefix}${subject}`, outerSubject: `${s.subjectPrefix}[${caseId}] advisory errata`, text: `${intro.trimEnd()}\n\n${pub.text}`, autoSubmitted: 'auto-generated' }));
  }
  if (missing.length > 0) {
    mails.push(...(await lettersToCoordinators(ctx, { caseId, kind: 'alert', subject: `[${caseId}] errata not sent to every stakeholder`, text: `The errata of ${pub.advisory.id} (revision ${revision}) was not sent to:\n${missing.map((m) => `- ${m}`).join('\n')}\nNothing is sent in clear; the public lists have it.`, autoSubmitted: 'auto-generated' })));
  }
  return {
    mails,
    apply: () => recordPublication(ctx.db, caseId, revision, at),
    after: async () => {
      await publishAdvisory(pub.advisory, ctx.config.instance.publicDir, { ...siteWriteOptions(ctx, ctx.clock()), ...fileOptions(pub) });
    },
    event: { caseId, kind: 'errata-published', detail: { advisory: pub.advisory.id, revision, errata: pub.errata, lists: ctx.config.publicLists.length } },
    notice: { caseId, kind: 'errata' },
  };
}

/** Every coordinator's digest shows the whole team's reminders. */
async function digestItemsNow(ctx: Pick<Vmtd, 'config' | 'db' | 'keyring' | 'people' | 'clock'>): Promise<string[]> {
  const now = ctx.clock();
  const since = iso(new Date(now.getTime() - 86_400_000));
  const f = digestFacts(ctx.db, since);
  const cases = f.cases.map((c) => ({
    id: c.id,
    state: c.state,
    kind: c.kind,
    overridden: !!c.embargo_override,
    createdAt: new Date(c.created_at),
    embargo: c.embargo ? new Date(c.embargo) : null,
  }));
  const failedDeliveries = f.failedDeliveries;
  const keys = [];
  for (const m of f.members) {
    const fp = ctx.people.has(m.email) ? ctx.people.get(m.email) : m.fingerprint;
    const key = fp ? ctx.keyring.byFingerprint(fp) : undefined;
    const info = key ? await describeKey(key, now) : null;
    keys.push({ email: m.email, caseIds: m.cases.split(','), problem: info ? info.encryptionProblem : 'no key', expiresAt: info?.expiresAt ?? null });
  }
  return [...digestItems({ now, maxEmbargoDays: ctx.config.policy.maxEmbargoDays, cases, failedDeliveries, keys, ...(await digestExtras(ctx, f)) }), ...cveReminders(cveReminderFacts(ctx.db), now), ...fixReminders(fixReminderFacts(ctx.db)), ...slowProjects(openProjectsCaseFacts(ctx.db), now, ctx.config.policy.maxEmbargoDays)];
}

/**
 * One planner pass at ctx.clock() (with the coordinators' digests when asked: the digest cron and
 * `vmtd tick` ask, sending each day's digest once, after the digest's time of day): computes what is due from the database and queues it. Each
 * notice is claimed by its unique key in the transaction that queues its mail, so a second pass
 * or a second process never sends it again, and a pass after downtime catches up once.
 */
export async function runPlanner(ctx: Omit<Vmtd, 'verpKey' | 'crypto'>, opts: { digest: boolean } = { digest: false }): Promise<TickSummary> {
  const now = ctx.clock();
  // Before the cases are loaded: a case published at its disclosure limit goes out in this pass.
  await runDeadlines(ctx, now);
  const { cases, done, announced } = planReads(ctx.db, ctx.config.stakeholders);
  const actions = plan({
    now,
    cases,
    done,
    announced,
    stakeholders: ctx.config.stakeholders,
    maxEmbargoDays: ctx.config.policy.maxEmbargoDays,
    coordinators: ctx.config.coordinators.map((c) => c.email.toLowerCase()),
    digestMinute: opts.digest ? (dailyMinute(ctx.config.schedule.digest) ?? 0) : null,
  });
  const summary: TickSummary = { at: iso(now), due: actions.length, sent: [], skipped: [], failed: [] };
  let items: Promise<string[]> | undefined;
  // A failed read is not kept: the next coordinator's digest reads again, as before.
  const digestItemsOfPass: DigestItems = () =>
    (items ??= digestItemsNow(ctx).catch((err: unknown) => {
      items = undefined;
      throw err;
    }));
  for (const a of actions) {
    // One action that fails (a damaged row, a bug) is logged and tried again on the next pass;
    // it never stops the others.
    try {
      const r = await runAction(ctx, a, digestItemsOfPass);
      if (r === 'skipped') summary.skipped.push(a.key);
      else if (r === 'done') summary.sent.push(a.key);
    } catch (err) {
      summary.failed.push(a.key);
      const e = err as NodeJS.ErrnoException;
      ctx.log.error({ key: a.key, err: `${e?.code ? `${e.code}: ` : ''}${(e?.message ?? String(err)).split('\n')[0]}` }, 'scheduled work failed; the next pass tries again');
    }
  }
  try {
    // security.txt carries an Expires: renewed (signed anew) well before it, by any pass.
    if (await renewSecurityTxt(ctx.config.instance.publicDir, siteOptions(ctx.config.instance, ctx.team, now, ctx.config.policy.maxEmbargoDays))) {
      ctx.log.info({ publicDir: ctx.config.instance.publicDir }, 'security.txt renewed');
    }
  } catch (err) {
    ctx.log.warn({ err: (err as Error)?.message ?? String(err) }, 'cannot renew security.txt; the next pass tries again');
  }
  try {
    await alertUnusableCoordinatorKeys(ctx);
  } catch (err) {
    ctx.log.error({ err: (err as Error)?.message ?? String(err) }, 'checking the coordinators\' keys failed; the next pass tries again');
  }
  return summary;
}

/** Computes one action's effect and claims its notice; 'skipped' when another pass or process already did it. */
async function runAction(ctx: Omit<Vmtd, 'verpKey' | 'crypto'>, a: Action, digestItemsOfPass: DigestItems): Promise<'done' | 'skipped' | 'nothing'> {
  const effect = await effectOf(ctx, a, digestItemsOfPass);
  if (!effect) return 'nothing';
  const at = iso(ctx.clock());
  const claimed = ctx.db
    .transaction(() => {
      const failed = effect.notice.kind === 'failed';
      const kind = failed ? a.kind : effect.notice.kind;
      const state = failed ? 'failed' : 'sent';
      if (!claimNotice(ctx.db, { key: a.key, caseId: effect.notice.caseId, kind, stakeholder: effect.notice.stakeholder ?? null, embargo: effect.notice.embargo ?? null, state }, at)) return false;
      effect.apply?.(at);
      const ids = effect.mails.map((m) => enqueue(ctx.db, m, at));
      if (ids.length === 1 && ['pre-disclosure', 'update'].includes(kind)) linkNoticeMail(ctx.db, a.key, ids[0]!);
      addEvent(ctx.db, effect.event.caseId, at, 'vmtd', effect.event.kind, effect.event.detail);
      return true;
    })
    .immediate();
  if (!claimed) return 'skipped';
  await effect.after?.();
  ctx.log.info({ key: a.key }, 'scheduled work done');
  return 'done';
}
