/**
 * `vmtd doctor`'s look at the keys vmtd encrypts to beyond the configured people: every active
 * registry project's contacts (their pinned keys, added by `vmtd project` or by mail) and the
 * CNA's key (cve.cna.keyFile). A missing, expired, revoked or sign-only key means that contact
 * gets nothing (or the CNA a reservation request without details): a warning with the fix, never
 * a failure, since the daemon runs and tells the coordinators. Reads only.
 */
import type { Config } from '../config/types.js';
import type { ConfiguredPeople } from '../identity/configured.js';
import { formatUtc } from '../commands/embargo.js';
import { describeKey } from '../pgp/keys.js';
import type { Db } from '../store/db.js';
import { databaseHealth } from '../store/doctor-facts.js';
import type { Keyring } from '../store/keyring.js';
import { listProjects } from '../store/projects.js';
import type { Finding } from './checks.js';

const DAY = 86_400_000;
/** The schema version that has the project registry (migration 8). */
const REGISTRY_SCHEMA = 8;

/** Why a pinned key cannot be used to encrypt, or expires within 30 days; null when it is good. */
async function keyProblem(keyring: Keyring, fingerprint: string | null, now: Date): Promise<string | null> {
  const key = fingerprint ? keyring.byFingerprint(fingerprint) : undefined;
  if (!key) return fingerprint ? `its pinned key ${fingerprint} is not in the keyring` : 'no key is pinned';
  const info = await describeKey(key, now);
  if (info.encryptionProblem) return `key ${info.fingerprint}: ${info.encryptionProblem}`;
  if (info.expiresAt && info.expiresAt.getTime() - now.getTime() < 30 * DAY) return `key ${info.fingerprint} expires ${formatUtc(info.expiresAt)}`;
  return null;
}

/**
 * Warnings for registry contacts (active projects; configured people are checkKeys' business)
 * and the CNA whose key is missing from the keyring or unusable now (expired, revoked, cannot
 * encrypt) or expires within 30 days; one ok line when all are good. Guarantees: reads the
 * keyring view and the database only; never a FAIL.
 */
export async function checkRegistryKeys(v: { config: Config; db: Db | undefined; keyring: Keyring; people: ConfiguredPeople; now: Date }): Promise<Finding[]> {
  const out: Finding[] = [];
  let checked = 0;
  if (v.db && databaseHealth(v.db).version >= REGISTRY_SCHEMA) {
    for (const p of listProjects(v.db).filter((x) => x.active)) {
      for (const c of p.contacts.filter((x) => !v.people.has(x.email.toLowerCase()))) {
        checked++;
        const problem = await keyProblem(v.keyring, c.fingerprint, v.now);
        if (problem) {
          out.push({ level: 'warn', what: `registry contact ${c.email} of ${p.id}: ${problem}`, fix: `they get no mail for ${p.id}'s cases until it is fixed: get a current key and pin it (vmtd project update ${p.id} --contact ${c.email} --key FILE, or X-PROJECT-CONTACT with the key attached)` });
        }
      }
    }
  }
  const cna = v.config.cve?.cna;
  if (cna) {
    checked++;
    const problem = cna.keyFile ? await keyProblem(v.keyring, v.people.get(cna.email.toLowerCase()) ?? null, v.now) : 'no key configured (cve.cna.keyFile)';
    if (problem) out.push({ level: 'warn', what: `CNA ${cna.name} <${cna.email}>: ${problem}`, fix: 'CVE requests go out as reservation requests without case details until cve.cna.keyFile names a current key of the CNA' });
  }
  if (out.length === 0 && checked > 0) out.push({ level: 'ok', what: `${checked} registry contact and CNA key(s) usable` });
  return out;
}
