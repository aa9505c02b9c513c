import type { SignatureCheck } from '../pgp/verify.js';
import type { Member } from '../cases/members.js';

/**
 * The member who provably sent a message: the From address is theirs and the message carries a
 * good signature by their pinned key. Null for anything unsigned or signed by another key: an
 * unauthenticated From proves nothing. Pure.
 */
export function authenticatedSender(members: Member[], signature: SignatureCheck, from: string | null): string | null {
  if (signature.state !== 'good' || !from) return null;
  const m = members.find((x) => x.pinned && x.fingerprint === signature.signer && x.email === from.toLowerCase());
  return m ? m.email : null;
}

/**
 * The one place that decides who receives a case message: every member but its authenticated
 * sender (unless the policy echoes to the sender). A forged From never removes anyone. Pure.
 */
export function relayRecipients(members: Member[], authenticated: string | null, echoToSender: boolean): Member[] {
  return members.filter((m) => echoToSender || m.email !== authenticated);
}
