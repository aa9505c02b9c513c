import type { Recipient } from '../mail/addresses.js';

export interface CaseReferences {
  recipients: Recipient[];
  subjectIds: string[];
  /** In-Reply-To then References, newest first. */
  messageIds: string[];
}

/**
 * The case a message belongs to, by the strength of its reference: the case address it was sent
 * to, then a [CASE-ID] subject tag, then a Message-ID of the thread. Pure: lookups are passed in.
 */
export function findCase(refs: CaseReferences, exists: (id: string) => boolean, caseOfMessageId: (mid: string) => string | undefined): string | undefined {
  for (const r of refs.recipients) if (r.kind === 'case' && exists(r.caseId)) return r.caseId;
  for (const id of refs.subjectIds) if (exists(id)) return id;
  for (const mid of refs.messageIds) {
    const c = caseOfMessageId(mid);
    if (c) return c;
  }
  return undefined;
}

/** Project IDs a report names on `Project:` lines among its first lines (like a bug tracker pseudo-header). */
export function namedProjects(text: string, known: string[]): string[] {
  const head = text.split(/\r?\n/).slice(0, 10);
  const names = head.flatMap((l) => /^project:\s*(.+)$/i.exec(l.trim())?.[1]?.split(/[\s,]+/) ?? []).map((n) => n.toLowerCase());
  return [...new Set(names)].filter((n) => known.includes(n));
}
