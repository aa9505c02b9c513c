import { contactFingerprint, type RegisteredProject } from '../cases/project.js';
import type { Db } from '../store/db.js';
import type { Keyring } from '../store/keyring.js';
import { listProjects } from '../store/projects.js';
import type { ConfiguredPeople } from './configured.js';

/**
 * The project registry as routing and commands use it, read from the database each time (a
 * project added by `vmtd project add` or by mail counts at once, no restart): each contact's
 * fingerprint is the one they are (contactFingerprint): a configured person's configured
 * fingerprint, else the key pinned when the contact was added.
 */
export function projectRegistry(db: Db, people: ConfiguredPeople): RegisteredProject[] {
  return listProjects(db).map((p) => ({ ...p, contacts: p.contacts.map((c) => ({ ...c, fingerprint: contactFingerprint(people, c) })) }));
}

/**
 * Rereads the keyring when a pinned key is not held in memory yet: `vmtd project add --key FILE`
 * imports in another process, and its contact must get the next report without a restart.
 */
export async function withKeysOf(keyring: Keyring, fingerprints: Array<string | null>, now: Date): Promise<void> {
  if (fingerprints.some((fp) => fp !== null && !keyring.byFingerprint(fp))) await keyring.reload(now);
}
