import { chmodSync, mkdirSync } from 'node:fs';
import type { Config } from '../config/types.js';
import { openDb, type Db } from './db.js';
import { dataFiles } from './layout.js';
import { loadOrCreateDataKey, sealerFor, type Sealer } from './seal.js';

/** The data directory's store: the database and the sealer of what it keeps on disk. */
export interface Store {
  db: Db;
  sealer: Sealer;
  dataKey: Buffer;
}

/**
 * Opens the data directory's store without OpenPGP: creates the directory (0700), the spool and
 * blob directories, the data key and the database (0600) when absent, migrated. Commands that
 * only read cases or spool a message (`vmtd case`, `vmtd ingest`, which an MTA's pipe transport
 * runs once per mail) open this instead of the whole context, whose keys cost most of their start.
 */
export function openStore(config: Pick<Config, 'instance'>): Store {
  const dir = config.instance.dataDir;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const files = dataFiles(dir);
  for (const d of [files.spool, files.blobs]) mkdirSync(d, { mode: 0o700, recursive: true });
  const dataKey = loadOrCreateDataKey(files.dataKey);
  const db = openDb(files.db);
  chmodSync(files.db, 0o600);
  return { db, sealer: sealerFor(dataKey), dataKey };
}
