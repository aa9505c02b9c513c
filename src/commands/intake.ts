import type { Vmtd } from '../context.js';
import type { Understood } from '../intake/process.js';
import { addToCase } from '../intake/process.js';

/** Whether a decrypted text body starts with keyword lines (`X-KEYWORD: …`). */
export function looksLikeCommands(text: string): boolean {
  return /^\s*X-[A-Za-z-]+:/.test(text);
}

/** Placeholder until the command language lands: the message is relayed as a case message. */
export async function handleCommandMessage(ctx: Vmtd, u: Understood, caseId: string | undefined): Promise<void> {
  if (caseId) return addToCase(ctx, u, caseId, 'reply');
  const { openCaseFor } = await import('../intake/process.js');
  return openCaseFor(ctx, u);
}
