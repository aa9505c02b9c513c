import { existsSync, readFileSync } from 'node:fs';
import { dataFiles } from '../store/layout.js';
import { openDb, type Db } from '../store/db.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config/types.js';
import { CliError, EX } from './exit.js';

/** What every CLI command is given: the loaded configuration, the clock, its arguments and output. */
export interface CliEnv {
  config: Config;
  clock: Clock;
  args: string[];
  values: Record<string, string | boolean | string[] | undefined>;
  out: (s: string) => void;
}

/** Reads a file named on the command line, or fails with EX_NOINPUT naming it. */
export function readInput(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, EX.NOINPUT);
  }
}

/**
 * Opens the database of an existing data directory for a console command, or fails with
 * EX_NOINPUT saying why (`absent` tells what its absence means, e.g. "nothing was ever spooled here").
 */
export function openExistingDb(env: CliEnv, absent: string): Db {
  const file = dataFiles(env.config.instance.dataDir).db;
  if (!existsSync(file)) throw new CliError(`no database at ${file}: ${absent} (vmtd init creates it; check instance.dataDir)`, EX.NOINPUT);
  try {
    return openDb(file);
  } catch (err) {
    throw new CliError(`cannot open ${file}: ${(err as Error).message}`, EX.NOINPUT);
  }
}
