import { iso } from '../clock.js';
import type { Vmtd } from '../context.js';
import { recipientKey } from '../identity/recipient-key.js';
import { keyBook, lettersToCoordinators } from '../compose/letters.js';
import { addEvent } from '../store/events.js';
import { enqueue } from '../store/outbox.js';
import { claimOnce, noticeClaimed } from '../store/notices.js';

/**
 * Tells the other coordinators, once per key and problem, that a coordinator's configured key
 * cannot be used (missing, expired, revoked, sign-only): that coordinator receives nothing until
 * it is fixed. Mail keeps flowing to everyone else meanwhile. Returns how many problems were new.
 */
export async function alertUnusableCoordinatorKeys(ctx: Omit<Vmtd, 'verpKey' | 'crypto'>): Promise<number> {
  let told = 0;
  for (const c of ctx.config.coordinators) {
    const email = c.email.toLowerCase();
    const choice = await recipientKey(keyBook(ctx), { email, fingerprint: null });
    if (choice.ok) continue;
    const key = `unusable-key:${email}:${ctx.people.get(email) ?? 'none'}:${choice.problem}`;
    if (noticeClaimed(ctx.db, key)) continue;
    const mails = await lettersToCoordinators(ctx, {
      caseId: null,
      kind: 'alert',
      subject: `vmtd: coordinator ${email} receives nothing`,
      text: [
        `The configured key of coordinator ${email} cannot be used: ${choice.problem}.`,
        'Until it is replaced they receive no case mail, alert or digest (nothing is ever sent in clear).',
        '',
        'Put a current key in the file the configuration names, then reload vmtd (systemctl reload vmtd).',
      ].join('\n'),
      autoSubmitted: 'auto-generated',
    });
    const at = iso(ctx.clock());
    const claimed = ctx.db.transaction(() => {
      if (!claimOnce(ctx.db, key, 'key-alert', at)) return false;
      for (const m of mails) enqueue(ctx.db, m, at);
      addEvent(ctx.db, null, at, 'vmtd', 'coordinator-key-unusable', { coordinator: email, problem: choice.problem });
      return true;
    })();
    if (claimed) {
      told++;
      ctx.log.warn({ coordinator: email, problem: choice.problem }, 'a coordinator has no usable key; the others were told');
    }
  }
  return told;
}
