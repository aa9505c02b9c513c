import { childrenOf, header, parseEntity, textOf, type Entity } from '../mail/entity.js';

/** What a message sent to a VERP bounce address says about the delivery. */
export type BounceKind = 'failed' | 'delayed' | 'delivered' | 'not-a-bounce';

const FAILED = /(undeliver|delivery (has )?failed|failure notice|returned mail|returning message|could not be delivered|non[- ]?delivery|delivery status notification \(failure\)|permanent(ly)? (error|fail)|mailbox (unavailable|full|not found)|user unknown|no such user|rejected)/i;
const DELAYED = /(\(delay\)|delayed|will (keep )?(re)?try|still trying|warning: message)/i;

function actions(entity: Entity, depth = 0): string[] {
  if (depth > 5) return [];
  if (entity.type === 'message/delivery-status') {
    return [...textOf(entity).matchAll(/^Action:\s*([a-z]+)/gim)].map((m) => m[1]!.toLowerCase());
  }
  return (childrenOf(entity) ?? []).flatMap((c) => actions(c, depth + 1));
}

/**
 * Classifies a message that came back to a VERP address: a standard DSN (RFC 3464) by its Action
 * fields, anything else by the wording MTAs use. Auto-replies (vacation notices) are not bounces.
 * Pure and total.
 */
export function bounceKind(raw: Buffer): BounceKind {
  const entity = parseEntity(raw);
  const acts = actions(entity);
  if (acts.includes('failed')) return 'failed';
  if (acts.length > 0 && acts.every((a) => a === 'delayed')) return 'delayed';
  if (acts.length > 0) return 'delivered';
  const subject = header(entity.headers, 'subject') ?? '';
  const from = header(entity.headers, 'from') ?? '';
  if (DELAYED.test(subject)) return 'delayed';
  if (FAILED.test(subject)) return 'failed';
  if (/mailer-daemon|postmaster/i.test(from)) return 'failed';
  return 'not-a-bounce';
}

/**
 * The recipients a delivery status notification (RFC 3464) reports as failed: the Final-Recipient
 * (or Original-Recipient) of each per-recipient block whose Action is `failed`, lower-cased.
 * Empty when the message holds no message/delivery-status part. Pure and total.
 */
export function failedRecipients(raw: Buffer): string[] {
  const found = new Set<string>();
  const walk = (entity: Entity, depth: number): void => {
    if (depth > 5) return;
    if (entity.type === 'message/delivery-status') {
      for (const block of textOf(entity).replace(/\r\n?/g, '\n').split(/\n\s*\n/)) {
        if (!/^Action:\s*failed\b/im.test(block)) continue;
        for (const m of block.matchAll(/^(?:Final|Original)-Recipient:\s*[^;\n]*;\s*<?([^\s<>]+@[^\s<>]+?)>?\s*$/gim)) found.add(m[1]!.toLowerCase());
      }
      return;
    }
    for (const c of childrenOf(entity) ?? []) walk(c, depth + 1);
  };
  walk(parseEntity(raw), 0);
  return [...found];
}
