import { iso } from '../clock.js';
import type { Vmtd } from '../context.js';
import { dataFiles } from '../store/layout.js';
import { composeRelay } from '../compose/relay.js';
import { storeSealed, type Stored } from '../store/blob-files.js';
import { addCaseProject, getCase, insertCase, insertMessage, membersOf, peekCaseId, takeCaseId, upsertMember } from '../store/cases.js';
import { type Member } from '../cases/members.js';
import { addEvent } from '../store/events.js';
import { enqueue, type OutgoingMail } from '../store/outbox.js';
import { casesOpenedSince, quarantinedSince, releasedByOperator } from '../store/seen.js';
import { acknowledgement, mayAnswer } from './answers.js';
import { finishSpooled } from './finish.js';
import { quarantine } from './quarantine.js';
import { openingLimit } from './replay.js';
import { projectRegistry, withKeysOf } from '../identity/projects.js';
import { inactiveProjectsNote, projectAnswerNote, routeProjects, unknownProjectsNote } from './route.js';
import { inboundOf, type Understood } from './understood.js';

export class CaseIdRace extends Error {}

/** How a coordinator's X-OPEN differs from a report: its title, and an answer instead of an ack. */
export interface OpenedByCoordinator {
  title: string;
  answer: (caseId: string) => Promise<OutgoingMail[]>;
  /** Recorded in the transaction that opens the case (the command's signature). */
  apply?: (caseId: string, at: string) => void;
}

/**
 * The key a reporter's own mail pins for their membership: the key that made a good signature
 * over the message, if one of its self-certified user IDs is the sender's address. Pure.
 */
export function reporterPin(signature: Understood['decoded']['signature'], sender: string | null, signerEmails: string[]): string | null {
  return signature.state === 'good' && signature.signer && sender && signerEmails.includes(sender) ? signature.signer : null;
}

/** A configured person as a member: their configured fingerprint, pinned. */
function configuredMember(ctx: Pick<Vmtd, 'people'>, email: string, name: string | null, role: Member['role'], projectId: string | null): Member {
  const addr = email.toLowerCase();
  return { email: addr, name, role, projectId, fingerprint: ctx.people.get(addr) ?? null, pinned: true };
}

/**
 * The reporter as a member: pinned to the key that signed their report (reporterPin), else
 * unpinned with the key their mail offered (for encrypting to them only), or none yet.
 */
function reporterMember(ctx: Pick<Vmtd, 'keyring'>, u: Understood): Member {
  const sender = u.sender!;
  const pin = reporterPin(u.decoded.signature, sender, u.decoded.signature.signer ? ctx.keyring.emailsOf(u.decoded.signature.signer) : []);
  const learned = ctx.keyring.keysFor(sender, { trustedOnly: false })[0];
  return { email: sender, name: u.headers.fromName, role: 'reporter', projectId: null, fingerprint: pin ?? (learned ? learned.getFingerprint().toUpperCase() : null), pinned: pin !== null };
}

/** Why opening one more case would exceed the limits, or null. */
function openingProblem(ctx: Pick<Vmtd, 'config' | 'db' | 'clock'>, sender: string | null): string | null {
  const since = iso(new Date(ctx.clock().getTime() - 3600_000));
  const p = ctx.config.policy;
  return openingLimit({ bySender: sender ? casesOpenedSince(ctx.db, since, sender) : 0, all: casesOpenedSince(ctx.db, since) }, { perSender: p.casesPerSenderPerHour, all: p.casesPerHour }, sender);
}

/** Opens a case for a report (or a coordinator's X-OPEN) and relays it to the new case's members. */
export async function openCaseFor(ctx: Omit<Vmtd, 'verpKey'>, u: Understood, opened?: OpenedByCoordinator): Promise<void> {
  const i = ctx.config.instance;
  if (ctx.config.policy.requireEncryptedReports && !u.decoded.encrypted && !opened) {
    return quarantine(ctx, u.row, u.headers, 'unencrypted report refused by policy (requireEncryptedReports)');
  }
  // A report an operator released from quarantine was looked at: the limits that held it back do not apply again.
  if (!opened && !releasedByOperator(ctx.db, u.row.id)) {
    const limit = openingProblem(ctx, u.sender);
    if (limit) {
      // The excess is kept (releasable), coordinators are told once an hour per limit, the sender never.
      const told = quarantinedSince(ctx.db, iso(new Date(ctx.clock().getTime() - 3600_000)), limit);
      return quarantine(ctx, u.row, u.headers, limit, { alert: !told, answerSender: false });
    }
  }
  const now = ctx.clock();
  const at = iso(now);
  const year = now.getUTCFullYear();
  const caseId = peekCaseId(ctx.db, i.caseIdPrefix, year);

  const members: Member[] = ctx.config.coordinators.map((c) => configuredMember(ctx, c.email, c.name, 'coordinator', null));
  const reporter = opened ? null : u.sender;
  if (reporter && !members.some((m) => m.email === reporter)) members.push(reporterMember(ctx, u));
  // The registry as it is now (CLI and mail change it without a restart); contacts pinned as projectRegistry says.
  const registry = projectRegistry(ctx.db, ctx.people);
  const routing = routeProjects(u.recipients, u.content.text ?? '', registry);
  const { known: projects, unknown: unknownProjects } = routing;
  for (const pid of projects) {
    for (const c of registry.find((p) => p.id === pid)!.contacts) {
      if (!members.some((m) => m.email === c.email)) members.push({ email: c.email, name: c.name, role: 'project-contact', projectId: pid, fingerprint: c.fingerprint, pinned: true });
    }
  }
  await withKeysOf(ctx.keyring, members.map((m) => m.fingerprint), now);
  // Mail to a case address is never acknowledged, whether that case exists or not (no existence oracle).
  const toCaseAddress = u.recipients.some((r) => r.kind === 'case');
  const notes = [
    ...(toCaseAddress ? ['sent to a case address whose case does not exist: opened as a new case'] : []),
    ...(unknownProjects.length > 0 ? [unknownProjectsNote(unknownProjects)!] : []),
    ...(routing.inactive.length > 0 ? [inactiveProjectsNote(routing.inactive)!] : []),
    ...members.filter((m) => m.role === 'reporter' && m.pinned).map((m) => `reporter key ${m.fingerprint} pinned (it signed this report)`),
  ];
  const inbound = inboundOf(u);
  const reporterFp = members.find((m) => m.role === 'reporter')?.fingerprint ?? null;
  // The relay, the sealed content and the answer are independent of each other: made side by side.
  const [relay, content, answers] = await Promise.all([
    composeRelay(ctx, caseId, members, { ...inbound, decoded: { ...inbound.decoded, notes: [...inbound.decoded.notes, ...notes] } }, null, { openedBy: members.some((m) => m.role === 'reporter' && m.email === reporter) ? reporter : null }),
    sealedContent(ctx, u),
    opened ? opened.answer(caseId) : !toCaseAddress && mayAnswer(ctx, u) ? acknowledgement(ctx, u, caseId, reporterFp, projectAnswerNote(routing)).then((a) => [a]) : Promise.resolve([]),
  ]);
  const mails = [...relay.mails, ...answers];

  ctx.db.transaction(() => {
    const taken = takeCaseId(ctx.db, i.caseIdPrefix, year);
    if (taken !== caseId) throw new CaseIdRace(`case id ${caseId} was taken meanwhile`);
    insertCase(ctx.db, ctx.sealer, { id: caseId, title: opened?.title ?? (u.subject || '(no subject)'), reporter, at });
    for (const m of members) upsertMember(ctx.db, caseId, m, at);
    for (const pid of projects) addCaseProject(ctx.db, caseId, pid);
    const msg = storeMessage(ctx, u, content, caseId, opened ? 'command' : 'report');
    addEvent(ctx.db, caseId, at, u.sender ?? 'unknown', 'opened', { spool: u.row.id, encrypted: u.decoded.encrypted, signature: u.decoded.signature.state, projects });
    for (const m of members.filter((x) => x.role === 'reporter' && x.pinned)) addEvent(ctx.db, caseId, at, 'vmtd', 'key-pinned', { member: m.email, fingerprint: m.fingerprint });
    if (relay.skipped.length > 0) addEvent(ctx.db, caseId, at, 'vmtd', 'not-relayed', { members: relay.skipped });
    opened?.apply?.(caseId, at);
    for (const m of mails) enqueue(ctx.db, { ...m, sourceMessage: m.kind === 'relay' ? msg : null }, at);
    finishSpooled(ctx, u, 'report', caseId, at);
  })();
  ctx.log.info({ spool: u.row.id, case: caseId, relays: relay.mails.length }, 'case opened');
}

/** The message's content sealed, before the transaction that stores it (a large one goes to a file of its own). */
function sealedContent(ctx: Pick<Vmtd, 'config' | 'sealer'>, u: Understood): Promise<Stored> {
  return storeSealed(ctx.sealer, dataFiles(ctx.config.instance.dataDir).blobs, u.decoded.content);
}

function storeMessage(ctx: Pick<Vmtd, 'db'>, u: Understood, content: Stored, caseId: string, kind: 'report' | 'reply' | 'command' | 'comment' | 'auto'): number {
  return insertMessage(ctx.db, {
    caseId,
    spoolId: u.row.id,
    messageId: u.headers.messageId,
    from: u.sender ?? '',
    receivedAt: u.row.receivedAt,
    encrypted: u.decoded.encrypted,
    signature: u.decoded.signature.state,
    signer: u.decoded.signature.signer ?? null,
    kind,
    content,
  });
}

export interface AddOptions {
  /** More mail to queue in the same transaction (e.g. a command's answer). */
  extra?: OutgoingMail[];
  /** Changes to apply in the same transaction, before the message is stored. */
  apply?: (at: string) => void;
  /** The members to relay to, when the message itself changes them. */
  members?: Member[];
}

/**
 * A reporter whose key is not pinned yet pins the key that signs their message to the case (the
 * rule of reporterPin); the coordinators read it in the relay's preamble. Returns the members as
 * they are after, and the note to show.
 */
function pinReporterBySignature(ctx: Pick<Vmtd, 'keyring'>, u: Understood, members: Member[]): { members: Member[]; pinned: Member | null } {
  const r = members.find((m) => m.role === 'reporter' && m.email === u.sender);
  if (!r || r.pinned) return { members, pinned: null };
  const pin = reporterPin(u.decoded.signature, u.sender, u.decoded.signature.signer ? ctx.keyring.emailsOf(u.decoded.signature.signer) : []);
  if (!pin) return { members, pinned: null };
  const pinned = { ...r, fingerprint: pin, pinned: true };
  return { members: members.map((m) => (m === r ? pinned : m)), pinned };
}

/** Adds a message to an existing case and relays it to the other members, in one transaction. */
export async function addToCase(ctx: Omit<Vmtd, 'verpKey'>, u: Understood, caseId: string, kind: 'reply' | 'command', opts: AddOptions = {}): Promise<void> {
  const at = iso(ctx.clock());
  const { members, pinned } = pinReporterBySignature(ctx, u, opts.members ?? membersOf(ctx.db, caseId));
  const inbound = inboundOf(u);
  const notes = pinned ? [`reporter key ${pinned.fingerprint} pinned (it signed this message)`] : [];
  const relay = await composeRelay(ctx, caseId, members, { ...inbound, decoded: { ...inbound.decoded, notes: [...inbound.decoded.notes, ...notes] } }, null);
  const content = await sealedContent(ctx, u);
  ctx.db.transaction(() => {
    opts.apply?.(at);
    if (pinned) {
      upsertMember(ctx.db, caseId, pinned, at);
      addEvent(ctx.db, caseId, at, 'vmtd', 'key-pinned', { member: pinned.email, fingerprint: pinned.fingerprint });
    }
    const msg = storeMessage(ctx, u, content, caseId, kind);
    addEvent(ctx.db, caseId, at, u.sender ?? 'unknown', 'message', { spool: u.row.id, signature: u.decoded.signature.state });
    if (relay.skipped.length > 0) addEvent(ctx.db, caseId, at, 'vmtd', 'not-relayed', { members: relay.skipped });
    // Only this case's relays carry this message; extra mail (answers, letters to another case) none.
    for (const m of [...relay.mails, ...(opts.extra ?? [])]) enqueue(ctx.db, { ...m, sourceMessage: m.kind === 'relay' && m.caseId === caseId ? msg : null }, at);
    finishSpooled(ctx, u, kind === 'command' ? 'command' : 'case-message', caseId, at);
  })();
  ctx.log.info({ spool: u.row.id, case: caseId, relays: relay.mails.length }, 'case message relayed');
}

/**
 * Keeps an automatic message (auto-reply, delivery or read report) with its case without
 * relaying it: members' vacation notices must not go round the whole case, nor loop.
 */
export async function recordAutomatic(ctx: Pick<Vmtd, 'config' | 'db' | 'sealer' | 'clock' | 'log'>, u: Understood, caseId: string): Promise<void> {
  const at = iso(ctx.clock());
  const content = await sealedContent(ctx, u);
  ctx.db.transaction(() => {
    storeMessage(ctx, u, content, caseId, 'auto');
    addEvent(ctx.db, caseId, at, u.sender ?? 'unknown', 'automatic-message', { spool: u.row.id });
    finishSpooled(ctx, u, 'automatic', caseId, at);
  })();
  ctx.log.info({ spool: u.row.id, case: caseId }, 'automatic message kept, not relayed');
}

/**
 * A ciphertext its sender already sent (to this case, or to the intake): nothing new is relayed.
 * A report sent again to the intake gets its case's acknowledgement again, so a reporter who
 * missed it learns where their report went.
 */
export async function recordResend(ctx: Omit<Vmtd, 'verpKey' | 'crypto'>, u: Understood, caseId: string | null): Promise<void> {
  const at = iso(ctx.clock());
  const known = caseId ? getCase(ctx.db, ctx.sealer, caseId) : undefined;
  const reporterFp = known ? (membersOf(ctx.db, known.id).find((m) => m.email === u.sender)?.fingerprint ?? null) : null;
  const ack = known && u.recipients.every((r) => r.kind === 'intake') && mayAnswer(ctx, u) ? [await acknowledgement(ctx, u, known.id, reporterFp)] : [];
  ctx.db.transaction(() => {
    if (known) addEvent(ctx.db, known.id, at, u.sender ?? 'unknown', 'resent', { spool: u.row.id });
    for (const m of ack) enqueue(ctx.db, m, at);
    finishSpooled(ctx, u, 'duplicate', known?.id ?? null, at);
  })();
  ctx.log.info({ spool: u.row.id, case: caseId }, 'encrypted message received again from its sender: not relayed again');
}
