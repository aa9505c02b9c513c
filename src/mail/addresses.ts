import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Config } from '../config/types.js';

/** What an envelope recipient means to vmtd. */
export type Recipient = { kind: 'intake' } | { kind: 'case'; caseId: string } | { kind: 'project'; projectId: string } | { kind: 'bounce'; outboxId: number; token: string };

type Instance = Config['instance'];

/** security@DOMAIN */
export function intakeAddress(i: Instance): string {
  return `${i.intake}@${i.domain}`.toLowerCase();
}

/** security+project-ID@DOMAIN: where reporters write to a registered project through the centre. */
export function projectAddress(i: Instance, projectId: string): string {
  return `${i.intake}${i.separator}project-${projectId}@${i.domain}`.toLowerCase();
}

/** security+sec-2026-0007@DOMAIN: the case's address (lower-cased, as mail systems keep it). */
export function caseAddress(i: Instance, caseId: string): string {
  return `${i.intake}${i.separator}${caseId}@${i.domain}`.toLowerCase();
}

/**
 * security-bounces+OUTBOXID-TOKEN@DOMAIN: the VERP envelope sender of one outgoing mail. The token
 * (verpToken) makes the address unguessable: only a mail that really went there can be bounced.
 */
export function bounceAddress(i: Instance, outboxId: number, verpKey: Buffer): string {
  return `${i.intake}-bounces${i.separator}${outboxId}-${verpToken(verpKey, outboxId)}@${i.domain}`.toLowerCase();
}

/** The token of one outbox row's bounce address: 80 bits of HMAC-SHA256 under the VERP key, base32-hex. */
export function verpToken(verpKey: Buffer, outboxId: number): string {
  const mac = createHmac('sha256', verpKey).update(`verp:${outboxId}`).digest();
  let bits = 0n;
  for (const b of mac.subarray(0, 10)) bits = (bits << 8n) | BigInt(b);
  return bits.toString(32).padStart(16, '0');
}

/** Whether `token` is the bounce token of `outboxId` (constant time). */
export function isVerpToken(verpKey: Buffer, outboxId: number, token: string): boolean {
  const want = Buffer.from(verpToken(verpKey, outboxId));
  const got = Buffer.from(token.toLowerCase());
  return want.length === got.length && timingSafeEqual(want, got);
}

/** The List-Id of a case's list. */
export function listId(i: Instance, caseId: string): string {
  return `<${caseId.toLowerCase()}.${i.intake}.${i.domain}>`;
}

const caseIdPattern = (prefix: string): RegExp => new RegExp(`^${prefix}-\\d{4}-\\d{4,}$`, 'i');

/** Classifies an envelope recipient; undefined means "not ours" (refused at RCPT: never a relay). */
export function parseRecipient(i: Instance, address: string): Recipient | undefined {
  const at = address.lastIndexOf('@');
  if (at < 0) return undefined;
  const local = address.slice(0, at).toLowerCase();
  const domain = address.slice(at + 1).toLowerCase();
  if (domain !== i.domain.toLowerCase()) return undefined;
  const intake = i.intake.toLowerCase();
  if (local === intake) return { kind: 'intake' };
  const bouncePrefix = `${intake}-bounces${i.separator}`;
  if (local.startsWith(bouncePrefix)) {
    // OUTBOXID-TOKEN; a bare OUTBOXID (mail sent before tokens) is accepted and then ignored.
    const m = /^(\d{1,15})(?:-([0-9a-v]{1,32}))?$/.exec(local.slice(bouncePrefix.length));
    return m ? { kind: 'bounce', outboxId: Number(m[1]), token: m[2] ?? '' } : undefined;
  }
  if (local.startsWith(intake + i.separator)) {
    const caseId = local.slice(intake.length + i.separator.length).toUpperCase();
    if (caseIdPattern(i.caseIdPrefix).test(caseId)) return { kind: 'case', caseId };
    // security+project-ID@: a report for a registered project, through the centre. Any well-formed
    // ID is accepted here; an unknown or inactive one is answered once the message is read.
    const project = /^project-([a-z0-9][a-z0-9._-]{0,63})$/.exec(local.slice(intake.length + i.separator.length));
    return project ? { kind: 'project', projectId: project[1]! } : undefined;
  }
  return undefined;
}

/** Case IDs tagged in a subject as [PREFIX-YYYY-NNNN]. */
export function subjectCaseIds(prefix: string, subject: string): string[] {
  return [...subject.matchAll(new RegExp(`\\[(${prefix}-\\d{4}-\\d{4,})\\]`, 'gi'))].map((m) => m[1]!.toUpperCase());
}
