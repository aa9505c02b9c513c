import type { Config } from '../config/types.js';

/** What an envelope recipient means to vmtd. */
export type Recipient = { kind: 'intake' } | { kind: 'case'; caseId: string } | { kind: 'bounce'; outboxId: number };

type Instance = Config['instance'];

/** security@DOMAIN */
export function intakeAddress(i: Instance): string {
  return `${i.intake}@${i.domain}`.toLowerCase();
}

/** security+sec-2026-0007@DOMAIN: the case's address (lower-cased, as mail systems keep it). */
export function caseAddress(i: Instance, caseId: string): string {
  return `${i.intake}${i.separator}${caseId}@${i.domain}`.toLowerCase();
}

/** security-bounces+OUTBOXID@DOMAIN: the VERP envelope sender of one outgoing mail. */
export function bounceAddress(i: Instance, outboxId: number): string {
  return `${i.intake}-bounces${i.separator}${outboxId}@${i.domain}`.toLowerCase();
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
    const id = local.slice(bouncePrefix.length);
    return /^\d{1,15}$/.test(id) ? { kind: 'bounce', outboxId: Number(id) } : undefined;
  }
  if (local.startsWith(intake + i.separator)) {
    const caseId = local.slice(intake.length + i.separator.length).toUpperCase();
    return caseIdPattern(i.caseIdPrefix).test(caseId) ? { kind: 'case', caseId } : undefined;
  }
  return undefined;
}

/** Case IDs tagged in a subject as [PREFIX-YYYY-NNNN]. */
export function subjectCaseIds(prefix: string, subject: string): string[] {
  return [...subject.matchAll(new RegExp(`\\[(${prefix}-\\d{4}-\\d{4,})\\]`, 'gi'))].map((m) => m[1]!.toUpperCase());
}
