import type { Member } from '../store/cases.js';

/**
 * The one place that decides who receives a case message: every member but the sender (unless
 * the policy echoes to the sender). Pure.
 */
export function relayRecipients(members: Member[], sender: string | null, echoToSender: boolean): Member[] {
  const from = sender?.toLowerCase();
  return members.filter((m) => echoToSender || m.email !== from);
}
