import type { Config } from '../config/types.js';

/**
 * Whether an address is one of the team's own: the intake (security@DOMAIN), a sub-address of it
 * (security+anything@DOMAIN: case addresses) or a bounce address (security-bounces+anything@DOMAIN).
 * A person whose local part merely starts with the intake name (securitybob@DOMAIN) is not. Pure;
 * compares case-insensitively.
 */
export function isTeamAddress(i: Config['instance'], address: string): boolean {
  const at = address.lastIndexOf('@');
  if (at < 0) return false;
  const local = address.slice(0, at).toLowerCase();
  if (address.slice(at + 1).toLowerCase() !== i.domain.toLowerCase()) return false;
  const intake = i.intake.toLowerCase();
  const sep = i.separator.toLowerCase();
  return local === intake || local.startsWith(intake + sep) || local.startsWith(`${intake}-bounces${sep}`);
}
