import type { Vmtd } from '../context.js';
import type { CaseRecord } from '../cases/record.js';
import type { FixBeforeDisclosure } from '../commands/silent-fix.js';
import { formatUtc } from '../commands/embargo.js';
import { caseAddress } from '../mail/addresses.js';
import { recipientKey } from '../identity/recipient-key.js';
import type { OutgoingMail } from '../store/outbox.js';
import { composeLetter, keyBook, lettersToCoordinators } from './letters.js';

/**
 * The letters of "no silent fixes" for the projects a command set fixed before disclosure: an alert
 * to the coordinators ("fix public before disclosure?"), and to each of those projects' contacts a
 * request to confirm whether the fix is public already. Every letter is encrypted; a contact
 * without a usable key gets none (the coordinators' alert says who was asked).
 */
export async function silentFixLetters(ctx: Omit<Vmtd, 'verpKey' | 'crypto'>, c: CaseRecord, fixes: readonly FixBeforeDisclosure[], by: string): Promise<OutgoingMail[]> {
  if (fixes.length === 0) return [];
  const addr = caseAddress(ctx.config.instance, c.id);
  const what = fixes.map((f) => `${f.projectId}${f.version ? ` (fixed in ${f.version})` : ''}`).join(', ');
  const embargo = c.embargo ? `the embargo ends ${formatUtc(new Date(c.embargo))}` : 'no embargo date is set yet';
  const out: OutgoingMail[] = [];
  const asked: string[] = [];
  for (const m of c.members) {
    if (m.role !== 'project-contact' || !fixes.some((f) => f.projectId === m.projectId)) continue;
    const choice = await recipientKey(keyBook(ctx), { email: m.email, fingerprint: m.fingerprint });
    if (!choice.ok) continue;
    asked.push(m.email);
    const fix = fixes.find((f) => f.projectId === m.projectId)!;
    out.push(
      await composeLetter(ctx, {
        to: m.email,
        key: choice.key,
        caseId: c.id,
        kind: 'answer',
        subject: `[${c.id}] is the ${fix.projectId} fix public already?`,
        text: [
          `${by} set ${fix.projectId} fixed${fix.version ? ` in ${fix.version}` : ''} in case ${c.id}, which is not disclosed yet (${embargo}).`,
          '',
          'Please confirm whether the fix is public already (a public commit, release, changelog or',
          `package): reply to ${addr}, encrypted to the team key. A fix public before the disclosure`,
          'tells attackers where to look; if it is public, the coordinators will disclose early.',
        ].join('\n'),
        autoSubmitted: 'auto-generated',
      }),
    );
  }
  out.push(
    ...(await lettersToCoordinators(ctx, {
      caseId: c.id,
      kind: 'alert',
      subject: `[${c.id}] fix public before disclosure?`,
      text: [
        `${by} set ${what} fixed in case ${c.id} before its disclosure (${embargo}).`,
        'Is the fix public already? If so, disclose now (X-PUBLISH, or X-LEAKED when details are out).',
        asked.length > 0 ? `The project's contacts were asked to confirm: ${asked.join(', ')}.` : "No contact of the project could be asked (no usable key): ask them yourselves.",
      ].join('\n'),
      autoSubmitted: 'auto-generated',
    })),
  );
  return out;
}
