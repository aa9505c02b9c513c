import { hkdfSync } from 'node:crypto';
import type { Clock } from './clock.js';
import { iso } from './clock.js';
import type { Config } from './config/types.js';
import { pinConfiguredPeople, projectSeeds, type ConfiguredPeople } from './identity/configured.js';
import type { Logger } from './log.js';
import { intakeAddress } from './mail/addresses.js';
import type { RelaySealer } from './pgp/seal-relay.js';
import { loadOrCreateTeamKey, type TeamKey } from './pgp/team.js';
import type { Db } from './store/db.js';
import { Keyring } from './store/keyring.js';
import { dataFiles } from './store/layout.js';
import { seedProjects } from './store/projects.js';
import { openStore } from './store/open-store.js';
import type { Sealer } from './store/seal.js';

/** Everything a vmtd process works with; built once by openVmtd, passed to every stage. */
export interface Vmtd {
  config: Config;
  db: Db;
  sealer: Sealer;
  /** Key of the bounce addresses' tokens, derived from the data key (so backups need nothing new). */
  verpKey: Buffer;
  keyring: Keyring;
  /** Configured people (coordinators, project contacts, stakeholders): address → pinned fingerprint. */
  people: ConfiguredPeople;
  team: TeamKey;
  clock: Clock;
  log: Logger;
  /** Worker threads that seal relays (the daemon's crypto pool); without it relays are sealed on the event loop's thread. */
  crypto?: RelaySealer;
}

/**
 * Opens the data directory: creates it (0700), the data key, the database and the team key when
 * absent (idempotent), imports the public keys named in the configuration and seeds the
 * project registry from its `projects:`.
 */
export async function openVmtd(config: Config, clock: Clock, log: Logger): Promise<Vmtd & { teamKeyCreated: boolean }> {
  const { db, sealer, dataKey } = openStore(config);
  const files = dataFiles(config.instance.dataDir);
  const verpKey = Buffer.from(hkdfSync('sha256', dataKey, Buffer.alloc(0), 'vmtd verp v1', 32));
  const team = await loadOrCreateTeamKey(files.teamKey, config.instance.name, intakeAddress(config.instance), clock());
  const keyring = await Keyring.load(db, clock());
  await keyring.add([team.publicKey], 'team', iso(clock()));
  const people = await pinConfiguredPeople(config, keyring, clock(), log);
  seedProjects(db, projectSeeds(config, people), iso(clock()));
  return { config, db, sealer, verpKey, keyring, people, team: { privateKey: team.privateKey, publicKey: team.publicKey, fingerprint: team.fingerprint }, clock, log, teamKeyCreated: team.created };
}

/**
 * Takes a new configuration and the keys as they are now (SIGHUP, or after `vmtd keys import` by
 * another process): rereads the keyring, imports the configured key files and pins the configured
 * people again. The data directory and database stay as they are.
 */
export async function refreshKeys(ctx: Vmtd, config: Config = ctx.config): Promise<void> {
  await ctx.keyring.reload(ctx.clock());
  const people = await pinConfiguredPeople(config, ctx.keyring, ctx.clock(), ctx.log);
  seedProjects(ctx.db, projectSeeds(config, people), iso(ctx.clock()));
  ctx.config = config;
  ctx.people = people;
}
