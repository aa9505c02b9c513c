import type { SignatureCheck } from '../pgp/verify.js';

export interface SignatureFacts {
  check: SignatureCheck;
  /** Self-certified user ID addresses of the signing key (empty when unknown). */
  signerEmails: string[];
  from: string | null;
  /** Whether this signed statement (its identity, check.digest) was received before, applied or not. */
  alreadySeen: boolean;
  /** Why the signing key cannot sign now (expired, revoked), or null: a key dead today commands nothing. */
  signerProblemNow: string | null;
}

export type Authentication = { ok: true; signer: string; digest: string } | { ok: false; reason: string };

/**
 * Whether a command message is signed well enough to be read at all: a good signature by a known
 * key that is valid now, whose self-certified user IDs include the From address, made within
 * maxAgeHours and not in the future (beyond the slack), and never received before. Reasons name
 * the rule, never case contents. Pure.
 */
export function authenticate(f: SignatureFacts, now: Date, maxAgeHours: number, slackMs: number): Authentication {
  const { check } = f;
  if (check.signedAt && check.signedAt.getTime() > now.getTime() + slackMs) {
    return { ok: false, reason: 'the signature is dated in the future: check your clock' };
  }
  if (check.state !== 'good' || !check.signer || !check.digest) {
    return { ok: false, reason: 'commands must be signed with a key known to the team (the signature was missing, bad, or by an unknown key)' };
  }
  if (f.signerProblemNow) return { ok: false, reason: `the signing key cannot sign now (${f.signerProblemNow}): commands need a key that is valid today` };
  if (!f.from || !f.signerEmails.includes(f.from)) {
    return { ok: false, reason: 'the From address is not a self-certified user ID of the signing key' };
  }
  if (!check.signedAt || check.signedAt.getTime() < now.getTime() - maxAgeHours * 3600_000) {
    return { ok: false, reason: `the signature is older than ${maxAgeHours} hours: sign the commands again` };
  }
  if (f.alreadySeen) return { ok: false, reason: 'this signed message was already received once (replay refused): sign a new one' };
  return { ok: true, signer: check.signer, digest: check.digest };
}
