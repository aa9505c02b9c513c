import { randomBytes } from 'node:crypto';
import type { Vmtd } from '../context.js';
import { dataFiles } from '../store/layout.js';
import { ARMOR_SLOT, composeEncrypted, innerEntity, textEntity } from '../mail/compose.js';
import { caseSubject } from '../mail/subject.js';
import type * as openpgp from 'openpgp';
import { sealRelay } from '../pgp/seal-relay.js';
import type { Decoded } from '../pgp/decode.js';
import { threadIds } from '../store/cases.js';
import { type Member } from '../cases/members.js';
import type { OutgoingMail, SharedPayload } from '../store/outbox.js';
import { storeBytes } from '../store/blob-files.js';
import { keyBook, lettersToCoordinators, teamAddressing } from './letters.js';
import { recipientKey } from '../identity/recipient-key.js';
import { authenticatedSender, relayRecipients } from '../cases/recipients.js';

/** A multipart/mixed MIME entity of the given parts (e.g. a text and the patches it presents). */
export function mixedEntity(parts: Buffer[]): Buffer {
  const b = `vmtd-mixed-${randomBytes(12).toString('hex')}`;
  const chunks: Buffer[] = [Buffer.from(`Content-Type: multipart/mixed; boundary="${b}"\r\n\r\n`)];
  for (const p of parts) chunks.push(Buffer.from(`--${b}\r\n`), p, Buffer.from('\r\n'));
  chunks.push(Buffer.from(`--${b}--\r\n`));
  return Buffer.concat(chunks);
}

export interface Inbound {
  from: string | null;
  fromName: string | null;
  subject: string;
  messageId: string | null;
  decoded: Decoded;
}

/**
 * Text a sender chose (a display name, a project name), made safe to show among vmtd's own
 * lines: no control, format or line/paragraph separator characters (no forged line can start
 * inside it), whitespace collapsed, at most `max` characters. Pure.
 */
export function untrustedText(s: string, max = 80): string {
  const clean = s.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]+/gu, ' ').replace(/\s+/g, ' ').trim();
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

/**
 * The preamble members read first: who sent it, signature and encryption state, the case. Every
 * line states an authenticated fact except the sender's name and address, which are marked as
 * the sender's own claim; a good signature names the member whose pinned key made it, if any.
 */
export function preamble(caseId: string, caseAddr: string, m: Inbound, members: Member[] = []): string {
  const sig = m.decoded.signature;
  const signerMember = sig.state === 'good' ? members.find((x) => x.pinned && x.fingerprint === sig.signer) : undefined;
  const from = untrustedText(m.from ?? 'unknown', 254);
  const name = m.fromName ? untrustedText(m.fromName) : '';
  const signature =
    sig.state === 'good'
      ? `good signature by ${sig.signer}${signerMember ? ` (the key of ${signerMember.role} ${signerMember.email})` : ' (not the key of a member of this case)'}`
      : sig.state === 'bad'
        ? `BAD signature${sig.signer ? ` (key ${sig.signer})` : ''}: do not trust this message's origin`
        : sig.state === 'unknown-key'
          ? `signed by a key vmtd does not know (${sig.signer}): unverified`
          : 'unsigned';
  const lines = [
    `[vmtd] Case ${caseId}: a message to the case (reply to ${caseAddr}).`,
    `From:       ${name ? `"${name.replace(/"/g, "'")}" <${from}>` : from} (as the sender wrote it: unverified)`,
    `Signature:  ${signature}`,
    `Encryption: ${m.decoded.encrypted ? 'was encrypted to the team key' : 'was NOT encrypted on its way to the team'}`,
    ...m.decoded.notes.map((n) => `Note:       ${untrustedText(n, 200)}`),
    '',
  ];
  return lines.join('\n');
}

export interface RelayPlan {
  mails: OutgoingMail[];
  /** Members that get nothing, with why (for the event log). */
  skipped: Array<{ email: string; problem: string }>;
}

/**
 * Composes the relay of one message to every other member of a case: signed once by the team key,
 * then encrypted to each member separately. Members without a usable key get nothing; the
 * coordinators are told who and why instead. The signing and encryption run in the daemon's crypto
 * pool (`ctx.crypto`) when it has one, else on this thread (sealRelay); the result is the same.
 */
export async function composeRelay(ctx: Omit<Vmtd, 'verpKey'>, caseId: string, members: Member[], m: Inbound, sourceMessage: number | null, opts: { openedBy?: string | null } = {}): Promise<RelayPlan> {
  const i = ctx.config.instance;
  const now = ctx.clock();
  const caseAddr = `${i.intake}${i.separator}${caseId}@${i.domain}`.toLowerCase();
  // The sender left out: the one who provably sent it, or the reporter whose membership this very
  // report created (their From made them a member, so it hides nothing from anyone else).
  const sender = opts.openedBy ?? authenticatedSender(members, m.decoded.signature, m.from);
  const recipients = relayRecipients(members, sender, ctx.config.policy.echoToSender);
  const realSubject = m.subject || '(no subject)';
  const outerSubject = ctx.config.policy.protectSubject ? `[${caseId}] encrypted message` : caseSubject(caseId, realSubject);
  const refs = [...threadIds(ctx.db, caseId), ...(m.messageId ? [m.messageId] : [])].filter((v, idx, all) => all.indexOf(v) === idx);
  const mails: OutgoingMail[] = [];
  const skipped: RelayPlan['skipped'] = [];
  const reachable: Array<{ member: Member; key: openpgp.PublicKey }> = [];
  // Each member's key is judged independently (signature checks): side by side, in members' order.
  const book = keyBook(ctx);
  const lookups = await Promise.all(recipients.map((member) => recipientKey(book, { email: member.email, fingerprint: member.fingerprint, learnedKeyAllowed: member.role === 'reporter' })));
  for (const [n, member] of recipients.entries()) {
    const lookup = lookups[n]!;
    if (lookup.ok) reachable.push({ member, key: lookup.key });
    else skipped.push({ email: member.email, problem: lookup.problem });
  }
  if (reachable.length > 0) {
    const addressed = reachable.map(({ member, key }) => ({
      key,
      member,
      a: teamAddressing(ctx, member.email, outerSubject, caseId, { ...(m.messageId ? { inReplyTo: m.messageId } : {}), references: refs.slice(-10), list: true }),
    }));
    const inner = innerEntity(
      { subject: caseSubject(caseId, realSubject), from: m.from ?? 'unknown', to: caseAddr, date: now, messageId: addressed[0]!.a.messageId },
      [textEntity(preamble(caseId, caseAddr, m, members)), m.decoded.content],
    );
    const sealed = await sealRelay(inner, ctx.team, addressed.map(({ key }) => key), now, ctx.crypto);
    // Written before the transaction that queues the copies: a large one goes to a file of its own.
    const payload: SharedPayload = { stored: await storeBytes(dataFiles(ctx.config.instance.dataDir).blobs, sealed.encryptedData, '.pgp') };
    const keyPackets = sealed.keyPackets;
    addressed.forEach(({ member, a }, n) => {
      mails.push({ caseId, kind: 'relay', messageId: a.messageId, rcpt: member.email, raw: composeEncrypted(a, ARMOR_SLOT), sourceMessage, shared: { payload, keyPacket: keyPackets[n]! } });
    });
  }
  if (skipped.length > 0) {
    const text = [
      `Case ${caseId}: a case message could not be relayed to these members,`,
      'who received nothing (nothing is ever sent to them in clear):',
      '',
      ...skipped.map((s) => `  ${s.email}: ${s.problem}`),
      '',
      'Import a usable key (vmtd keys import FILE) or remove the member (X-REMOVE-EXPERT).',
    ].join('\n');
    mails.push(...(await lettersToCoordinators(ctx, { caseId, kind: 'alert', subject: `[${caseId}] members without a usable key`, text, autoSubmitted: 'auto-generated' })));
  }
  return { mails, skipped };
}

