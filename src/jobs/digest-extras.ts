import type { Vmtd } from '../context.js';
import { describeKey } from '../pgp/keys.js';
import type { DigestFacts } from '../scheduler/digest.js';
import type { digestFacts } from '../store/job-facts.js';

/**
 * The digest's facts beyond cases, members' keys and failed deliveries: the configured
 * stakeholders' keys, each judged by the fingerprint of its configured key file as notices are
 * encrypted (a missing one is a problem), and the pre-disclosure notices still planned.
 */
export async function digestExtras(ctx: Pick<Vmtd, 'config' | 'keyring' | 'people' | 'clock'>, f: ReturnType<typeof digestFacts>): Promise<Pick<DigestFacts, 'stakeholderKeys' | 'pendingNotices'>> {
  const now = ctx.clock();
  const stakeholderKeys: NonNullable<DigestFacts['stakeholderKeys']> = [];
  for (const s of ctx.config.stakeholders) {
    const email = s.email.toLowerCase();
    const fp = ctx.people.get(email);
    const key = fp ? ctx.keyring.byFingerprint(fp) : undefined;
    const info = key ? await describeKey(key, now) : null;
    stakeholderKeys.push({ id: s.id, email, problem: info ? info.encryptionProblem : 'no usable key configured', expiresAt: info?.expiresAt ?? null });
  }
  return { stakeholderKeys, pendingNotices: f.pendingNotices.map((n) => ({ caseId: n.caseId, stakeholder: n.stakeholder, dueAt: new Date(n.dueAt) })) };
}
