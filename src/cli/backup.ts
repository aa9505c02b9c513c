import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { dataFiles, openVmtd } from '../context.js';
import { createLogger } from '../log.js';
import { CliError, EX } from './exit.js';
import type { CliEnv } from './main.js';

/**
 * `vmtd backup FILE`: a consistent copy of the live database (SQLite online backup, safe while the
 * daemon runs). Never overwrites. The copy holds no embargoed text in clear: the data key and
 * the team key are separate files and are not in it.
 */
export async function backup(env: CliEnv): Promise<number> {
  const target = env.args[0];
  if (!target) throw new CliError('usage: vmtd backup FILE', EX.USAGE);
  const file = resolve(target);
  if (existsSync(file)) throw new CliError(`${file} exists; vmtd backup never overwrites`, EX.CANTCREAT);
  const ctx = await openVmtd(env.config, env.clock, createLogger('warn'));
  try {
    const { totalPages } = await ctx.db.backup(file);
    const keys = dataFiles(env.config.instance.dataDir);
    env.out(`wrote ${file} (${totalPages} pages)\n`);
    env.out(`not included, back them up separately: ${keys.dataKey} and ${keys.teamKey}\n`);
    return EX.OK;
  } catch (err) {
    throw new CliError(`backup failed: ${(err as Error).message}`, EX.CANTCREAT);
  } finally {
    ctx.db.close();
  }
}
