import { chmodSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from './clock.js';
import { iso } from './clock.js';
import type { Config } from './config/types.js';
import type { Logger } from './log.js';
import { intakeAddress } from './mail/addresses.js';
import { loadOrCreateTeamKey, type TeamKey } from './pgp/team.js';
import { openDb, type Db } from './store/db.js';
import { Keyring } from './store/keyring.js';
import { loadOrCreateDataKey, sealerFor, type Sealer } from './store/seal.js';

/** Everything a vmtd process works with; built once by openVmtd, passed to every stage. */
export interface Vmtd {
  config: Config;
  db: Db;
  sealer: Sealer;
  keyring: Keyring;
  team: TeamKey;
  clock: Clock;
  log: Logger;
}

export const dataFiles = (dataDir: string) => ({
  db: join(dataDir, 'vmtd.sqlite'),
  teamKey: join(dataDir, 'team.key'),
  dataKey: join(dataDir, 'data.key'),
  /** Large messages as received, spooled sealed, one file each. */
  spool: join(dataDir, 'spool'),
  /** Large message contents (sealed) and relays' encrypted data, one file each. */
  blobs: join(dataDir, 'blobs'),
});

/**
 * Opens the data directory: creates it (0700), the data key, the database and the team key when
 * absent (idempotent), and imports the public keys named in the configuration.
 */
export async function openVmtd(config: Config, clock: Clock, log: Logger): Promise<Vmtd & { teamKeyCreated: boolean }> {
  const dir = config.instance.dataDir;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const files = dataFiles(dir);
  for (const d of [files.spool, files.blobs]) mkdirSync(d, { mode: 0o700, recursive: true });
  const sealer = sealerFor(loadOrCreateDataKey(files.dataKey));
  const db = openDb(files.db);
  chmodSync(files.db, 0o600);
  const team = await loadOrCreateTeamKey(files.teamKey, config.instance.name, intakeAddress(config.instance), clock());
  const keyring = await Keyring.load(db);
  const at = iso(clock());
  await keyring.add([team.publicKey], 'team', at);
  for (const c of [...config.coordinators, ...config.projects.flatMap((p) => p.contacts), ...config.stakeholders]) {
    if (!c.key) continue;
    try {
      await keyring.import(readFileSync(c.key, 'utf8'), 'config', at);
    } catch (err) {
      log.warn({ email: c.email, keyFile: c.key, err: (err as Error).message }, 'cannot read a configured key; this contact will receive nothing until fixed');
    }
  }
  return { config, db, sealer, keyring, team: { privateKey: team.privateKey, publicKey: team.publicKey, fingerprint: team.fingerprint }, clock, log, teamKeyCreated: team.created };
}
