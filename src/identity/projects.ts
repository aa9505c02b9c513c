import { contactFingerprint, type RegisteredProject } from '../cases/project.js';
import type { Db } from '../store/db.js';
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
