import type { Vmtd } from '../context.js';
import type { Credit } from '../cases/record.js';
import type { Member } from '../cases/members.js';
import { caseAddress } from '../mail/addresses.js';
import { recipientKey } from '../identity/recipient-key.js';
import type { OutgoingMail } from '../store/outbox.js';
import { composeLetter, keyBook } from './letters.js';
import { untrustedText } from './relay.js';

/** One X-MERGE as its letters need it. */
export interface MergeFacts {
  duplicate: string;
  target: string;
  /** The coordinator who merged. */
  by: string;
  /** The duplicate's reporters made members of the target. */
  added: Member[];
  /** Every reporter of the duplicate (also those already members of the target): each is told. */
  reporters: Member[];
  credited: Credit[];
  /** The target's members before the merge: they are told who joined. */
  targetMembers: Member[];
}

/**
 * The letters of a merge. Each reporter of the duplicate is told their report was merged and that
 * the target's updates come to them now: encrypted to the key their membership holds (or a key
 * learned from their own mail), else clear-signed with the case IDs only, as an acknowledgement is.
 * The target's members are told who joined and with which credit, each encrypted to their own key
 * (a member without a usable key gets nothing: nothing goes out in clear).
 */
export async function mergeLetters(ctx: Omit<Vmtd, 'verpKey' | 'log' | 'crypto'>, f: MergeFacts): Promise<OutgoingMail[]> {
  const i = ctx.config.instance;
  const addr = caseAddress(i, f.target);
  const out: OutgoingMail[] = [];
  for (const r of f.reporters) {
    const choice = await recipientKey(keyBook(ctx), { email: r.email, fingerprint: r.fingerprint, learnedKeyAllowed: true });
    const credit = f.credited.filter((c) => c.email === r.email).map((c) => c.text);
    const already = !f.added.some((m) => m.email === r.email);
    const lines = [
      `Your report ${f.duplicate} was merged into ${f.target}: the team found it reports the same issue.`,
      already ? `You are already a member of ${f.target} and receive its updates; write to ${addr} to add anything.` : `You will receive its updates from now on; write to ${addr} (reply to its mail) to add anything.`,
    ];
    const credited =
      credit.length > 0
        ? [`You are credited in ${f.target} as: ${credit.join('; ')} (send X-CREDIT to ${addr}, signed, to change it).`]
        : already
          ? []
          : [`To be credited in ${f.target}, send a signed X-CREDIT: Your Name to ${addr}.`];
    out.push(
      await composeLetter(ctx, {
        to: r.email,
        ...(choice.ok ? { key: choice.key } : {}),
        caseId: f.target,
        kind: 'answer',
        subject: `[${f.target}] your report ${f.duplicate} was merged into ${f.target}`,
        // Without a key the letter goes clear-signed: case IDs and the address only, no credit text.
        text: [...lines, ...(choice.ok ? ['', ...credited] : [])].join('\n'),
        autoSubmitted: 'auto-generated',
      }),
    );
  }
  const joined = f.added.map((m) => `  ${untrustedText(m.email, 254)} (reporter${m.pinned ? `, key ${m.fingerprint} pinned` : m.fingerprint ? `, encrypted to ${m.fingerprint}` : ', no key yet'})`);
  const staff = [
    `${f.by} merged ${f.duplicate} into this case (${f.target}): it reports the same issue.`,
    ...(joined.length > 0 ? ['', `Its reporter${joined.length > 1 ? 's are' : ' is'} now a member of ${f.target} and receive${joined.length > 1 ? '' : 's'} its traffic:`, ...joined] : ['', 'Its reporters were already members of this case.']),
    ...(f.credited.length > 0 ? ['', 'Credits carried over:', ...f.credited.map((c) => `  ${untrustedText(c.text, 120)} (${c.type.toLowerCase().replace(/_/g, ' ')})`)] : []),
  ].join('\n');
  // A reporter of the target learns that another report joined, not who sent it nor their credit.
  const reporter = `${f.duplicate}, a report of the same issue, was merged into this case (${f.target}); its reporter now receives this case's traffic too.`;
  for (const m of f.targetMembers) {
    const choice = await recipientKey(keyBook(ctx), { email: m.email, fingerprint: m.fingerprint, learnedKeyAllowed: m.role === 'reporter' });
    if (!choice.ok) continue;
    out.push(await composeLetter(ctx, { to: m.email, key: choice.key, caseId: f.target, kind: 'notice', subject: `[${f.target}] ${f.duplicate} merged into this case`, text: m.role === 'reporter' ? reporter : staff, autoSubmitted: 'auto-generated' }));
  }
  return out;
}
