import type * as openpgp from 'openpgp';
import { iso } from '../clock.js';
import type { Vmtd } from '../context.js';
import { caseAddress, intakeAddress, listId } from '../mail/addresses.js';
import { attachmentEntity, composeClearsigned, composeEncrypted, innerEntity, newMessageId, textEntity, type Addressing } from '../mail/compose.js';
import { clearsign, encryptSigned, signOnce } from '../pgp/encode.js';
import { recipientKey } from '../identity/recipient-key.js';
import { stakeholderCalendarParts } from './calendar-event.js';
import type { OutboxKind, OutgoingMail } from '../store/outbox.js';

export interface Letter {
  to: string;
  /** Encrypt to this key; without one the letter is clear-signed and must hold no case content. */
  key?: openpgp.PublicKey;
  caseId: string | null;
  kind: OutboxKind;
  subject: string;
  /** The subject outside the encryption, when it must differ from `[CASE-ID] encrypted message` (e.g. a list's required prefix). */
  outerSubject?: string;
  text: string;
  /** Files attached beside the text (inside the encryption only). */
  attachments?: Array<{ name: string; type: string; content: Buffer }>;
  /** MIME entities made elsewhere in compose/ (e.g. a calendar part), inside the encryption only. */
  parts?: Buffer[];
  inReplyTo?: string;
  references?: string[];
  autoSubmitted?: Addressing['autoSubmitted'];
}

/** The Addressing every mail of the team shares: From the team, Reply-To and List-Id of the case. */
export function teamAddressing(ctx: Pick<Vmtd, 'config' | 'clock'>, to: string, subject: string, caseId: string | null, extra: Partial<Addressing> = {}): Addressing {
  const i = ctx.config.instance;
  return {
    fromName: i.name,
    from: intakeAddress(i),
    to,
    subject,
    messageId: newMessageId(i.domain),
    date: ctx.clock(),
    ...(caseId ? { replyTo: caseAddress(i, caseId), listId: listId(i, caseId) } : {}),
    ...extra,
  };
}

/**
 * Composes one mail written by vmtd itself (ack, answer, alert, notice): signed by the team key and
 * encrypted to the recipient when a key is given (real subject protected inside), else clear-signed.
 */
export async function composeLetter(ctx: Pick<Vmtd, 'config' | 'db' | 'sealer' | 'team' | 'clock'>, l: Letter): Promise<OutgoingMail> {
  const now = ctx.clock();
  const extra: Partial<Addressing> = {
    ...(l.inReplyTo ? { inReplyTo: l.inReplyTo } : {}),
    ...(l.references ? { references: l.references } : {}),
    ...(l.autoSubmitted ? { autoSubmitted: l.autoSubmitted } : {}),
  };
  if (!l.key && (l.attachments?.length || l.parts?.length)) throw new Error('attachments travel only encrypted');
  if (l.key) {
    const outerSubject = l.outerSubject ?? (l.caseId && ctx.config.policy.protectSubject ? `[${l.caseId}] encrypted message` : l.subject);
    const a = teamAddressing(ctx, l.to, outerSubject, l.caseId, extra);
    const parts = [textEntity(l.text), ...(l.attachments ?? []).map((f) => attachmentEntity(f.name, f.type, f.content)), ...(l.parts ?? []), ...noticeCalendar(ctx, l)];
    const inner = innerEntity({ subject: l.subject, from: `${a.fromName} <${a.from}>`, to: l.to, date: now, messageId: a.messageId }, parts);
    const armored = await encryptSigned(await signOnce(inner, ctx.team.privateKey, now), l.key, now);
    return { caseId: l.caseId, kind: l.kind, messageId: a.messageId, rcpt: l.to, raw: composeEncrypted(a, armored) };
  }
  const a = teamAddressing(ctx, l.to, l.subject, l.caseId, extra);
  const signed = await clearsign(l.text, ctx.team.privateKey, now);
  return { caseId: l.caseId, kind: l.kind, messageId: a.messageId, rcpt: l.to, raw: composeClearsigned(a, signed) };
}

/**
 * A notice to a stakeholder (pre-disclosure or update, composed by the planner) carries the case's
 * embargo calendar event as it stands, so a told stakeholder's calendar follows every change.
 */
function noticeCalendar(ctx: Pick<Vmtd, 'config' | 'db' | 'sealer' | 'clock'>, l: Letter): Buffer[] {
  // A letter that carries its own calendar part (compose/calendar.ts) gets no second one.
  if (l.kind !== 'notice' || !l.caseId || l.parts?.length) return [];
  const s = ctx.config.stakeholders.find((x) => x.email.toLowerCase() === l.to.toLowerCase());
  return s ? stakeholderCalendarParts(ctx, l.caseId, s) : [];
}

/**
 * Letters to every coordinator, each encrypted to that coordinator's configured key, e.g. alerts.
 * A coordinator whose key is unusable (missing, expired, revoked, sign-only) is skipped and
 * logged, never a reason to fail: the others still get theirs (the planner tells them once).
 */
export async function lettersToCoordinators(ctx: Omit<Vmtd, 'verpKey' | 'crypto'>, l: Omit<Letter, 'to' | 'key'>): Promise<OutgoingMail[]> {
  const out: OutgoingMail[] = [];
  for (const c of ctx.config.coordinators) {
    const choice = await recipientKey(keyBook(ctx), { email: c.email, fingerprint: null });
    if (!choice.ok) {
      ctx.log.warn({ coordinator: c.email, problem: choice.problem }, 'coordinator has no usable key: letter not sent');
      continue;
    }
    out.push(await composeLetter(ctx, { ...l, to: c.email, key: choice.key }));
  }
  return out;
}

/** What the key chooser reads, as of now. */
export const keyBook = (ctx: Pick<Vmtd, 'keyring' | 'people' | 'clock'>) => ({ keyring: ctx.keyring, people: ctx.people, now: ctx.clock() });

export const stamp = (ctx: Pick<Vmtd, 'clock'>): string => iso(ctx.clock());
