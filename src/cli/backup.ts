import { existsSync, mkdirSync } from 'node:fs';
import { constants, copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { resolve } from 'node:path';
import { dataFiles, openVmtd } from '../context.js';
import { createLogger } from '../log.js';
import { namedBlobFiles } from '../store/orphans.js';
import { CliError, EX } from './exit.js';
import type { CliEnv } from './env.js';

/**
 * `vmtd backup FILE`: a consistent copy of the live database (SQLite online backup, safe while the
 * daemon runs), and beside it, in FILE.files/, the large-blob files that copy names (they are
 * never changed once written, so copying them after the snapshot is consistent). Never
 * overwrites. The copy holds no embargoed text in clear: blobs are sealed or OpenPGP-encrypted,
 * and the data key and the team key are separate files that are not in it.
 */
export async function backup(env: CliEnv): Promise<number> {
  const target = env.args[0];
  if (!target) throw new CliError('usage: vmtd backup FILE', EX.USAGE);
  const file = resolve(target);
  for (const f of [file, `${file}.files`]) if (existsSync(f)) throw new CliError(`${f} exists; vmtd backup never overwrites`, EX.CANTCREAT);
  const ctx = await openVmtd(env.config, env.clock, createLogger('warn'));
  try {
    const { totalPages } = await ctx.db.backup(file);
    const keys = dataFiles(env.config.instance.dataDir);
    env.out(`wrote ${file} (${totalPages} pages)\n`);
    const copied = await copyBlobFiles(file, keys);
    if (copied > 0) env.out(`wrote ${file}.files/ (${copied} large-blob files: restore them to ${keys.spool} and ${keys.blobs})\n`);
    env.out(`not included, back them up separately: ${keys.dataKey} and ${keys.teamKey}\n`);
    return EX.OK;
  } catch (err) {
    throw new CliError(`backup failed: ${(err as Error).message}`, EX.CANTCREAT);
  } finally {
    ctx.db.close();
  }
}

/** Copies the spool and blob files the database copy `file` names into `file`.files/; returns how many. */
async function copyBlobFiles(file: string, dirs: { spool: string; blobs: string }): Promise<number> {
  const copy = new Database(file, { readonly: true });
  const wanted = namedBlobFiles(copy);
  copy.close();
  let n = 0;
  for (const kind of ['spool', 'blobs'] as const) {
    if (wanted[kind].length === 0) continue;
    const into = join(`${file}.files`, kind);
    mkdirSync(into, { recursive: true, mode: 0o700 });
    for (const name of wanted[kind]) {
      await copyFile(join(dirs[kind], name), join(into, name), constants.COPYFILE_EXCL);
      n++;
    }
  }
  return n;
}
