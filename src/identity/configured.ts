import { readFileSync } from 'node:fs';
import type { Config, KeyedContact } from '../config/types.js';
import type { Logger } from '../log.js';
import { certifiedEmailsOf, fingerprintOf, readPublicKeys } from '../pgp/keys.js';
import type { Keyring } from '../store/keyring.js';

/**
 * The people the configuration names (coordinators, project contacts, stakeholders), each as the
 * fingerprint of the key file configured for them: lower-cased address → fingerprint, or null
 * when their key file is missing or unreadable. A configured person is this fingerprint
 * everywhere (membership, encryption, command authority); no key seen in mail can replace it.
 */
export type ConfiguredPeople = Map<string, string | null>;

/** Every contact the configuration names, coordinators first (the CVE CNA last: its key is chosen like anyone's). */
export function configuredContacts(config: Config): KeyedContact[] {
  const cna = config.cve?.cna;
  const cnaContact: KeyedContact[] = cna ? [{ name: cna.name, email: cna.email, ...(cna.keyFile ? { key: cna.keyFile } : {}) }] : [];
  return [...config.coordinators, ...config.projects.flatMap((p) => p.contacts), ...config.stakeholders, ...cnaContact];
}

/**
 * Imports each configured key file into the keyring (source `config`) and pins each configured
 * address to the key of its file: the key whose self-certified user IDs carry the address, or the
 * file's only key (the operator chose it; a warning says its user IDs lack the address).
 */
export async function pinConfiguredPeople(config: Config, keyring: Keyring, now: Date, log: Logger): Promise<ConfiguredPeople> {
  const people: ConfiguredPeople = new Map();
  for (const c of configuredContacts(config)) {
    const email = c.email.toLowerCase();
    if (people.get(email)) continue;
    if (!c.key) {
      people.set(email, null);
      continue;
    }
    try {
      const keys = await readPublicKeys(readFileSync(c.key, 'utf8'));
      await keyring.add(keys, 'config', now.toISOString());
      let chosen: string | null = null;
      for (const k of keys) if ((await certifiedEmailsOf(k, now)).includes(email)) chosen ??= fingerprintOf(k);
      if (!chosen && keys.length === 1) {
        chosen = fingerprintOf(keys[0]!);
        log.warn({ email, keyFile: c.key }, 'the configured key carries no self-certified user ID with this address; it is used because the configuration names it');
      }
      if (!chosen) log.warn({ email, keyFile: c.key }, 'no key in the configured key file carries this address; this contact will receive nothing until fixed');
      people.set(email, chosen);
    } catch (err) {
      log.warn({ email, keyFile: c.key, err: (err as Error).message }, 'cannot read a configured key; this contact will receive nothing until fixed');
      people.set(email, null);
    }
  }
  return people;
}

/**
 * The configuration's `projects:` as registry seeds: each configured contact pinned to their
 * configured fingerprint (store/projects.ts seedProjects writes them). The configuration stays
 * authoritative for the people it names; the registry adds the contacts it does not name.
 */
export function projectSeeds(config: Config, people: ConfiguredPeople): Array<{ id: string; name: string; contacts: Array<{ email: string; name: string; fingerprint: string | null }> }> {
  return config.projects.map((p) => ({ id: p.id, name: p.name, contacts: p.contacts.map((c) => ({ email: c.email.toLowerCase(), name: c.name, fingerprint: people.get(c.email.toLowerCase()) ?? null })) }));
}
