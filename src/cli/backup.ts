import { existsSync, mkdirSync, statSync } from 'node:fs';
import { constants, copyFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { openStore } from '../store/open-store.js';
import { dataFiles } from '../store/layout.js';
import { blobFilesOfCopy, checkBackupCopy, settleBackupCopy } from '../store/backup-copy.js';
import { CliError, EX } from './exit.js';
import type { CliEnv } from './env.js';

export const backupHelp = `usage: vmtd backup FILE [--config FILE]
       vmtd backup --verify FILE

backup FILE writes a consistent copy of the live database (safe while the daemon runs) and, in
FILE.files/, the large-blob files the copy names. It never overwrites. Progress goes to stderr.
The data key and the team secret key are not in it: back them up separately.

--verify FILE checks a backup: SQLite integrity, schema version, and that every file it names is
in FILE.files/. Prints OK, or each problem; exit 0 when OK, 65 when not, 66 when FILE is missing.
`;

const progress = (s: string): void => void process.stderr.write(`vmtd backup: ${s}\n`);

/**
 * `vmtd backup FILE`: a consistent copy of the live database (SQLite online backup, safe while the
 * daemon runs), and beside it, in FILE.files/, the large-blob files that copy names (they are
 * never changed once written, so copying them after the snapshot is consistent). Never
 * overwrites. The copy holds no embargoed text in clear: blobs are sealed or OpenPGP-encrypted,
 * and the data key and the team key are separate files that are not in it.
 */
export async function backup(env: CliEnv): Promise<number> {
  const target = env.args[0];
  if (!target || env.args.length > 1) throw new CliError('usage: vmtd backup FILE | vmtd backup --verify FILE', EX.USAGE);
  if (env.values.verify) return verify(env, resolve(target));
  const file = resolve(target);
  for (const f of [file, `${file}.files`]) if (existsSync(f)) throw new CliError(`${f} exists; vmtd backup never overwrites`, EX.CANTCREAT);
  const ctx = openStore(env.config);
  try {
    let shown = -1;
    const { totalPages } = await ctx.db.backup(file, {
      progress: ({ totalPages: total, remainingPages }) => {
        const pct = total > 0 ? Math.floor(((total - remainingPages) * 100) / total) : 100;
        if (pct >= shown + 10) {
          progress(`database ${pct}% (${total - remainingPages}/${total} pages)`);
          shown = pct;
        }
        return 1000;
      },
    });
    progress(`database 100% (${totalPages} pages)`);
    settleBackupCopy(file);
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
  const wanted = blobFilesOfCopy(file);
  const total = wanted.spool.length + wanted.blobs.length;
  let n = 0;
  for (const kind of ['spool', 'blobs'] as const) {
    if (wanted[kind].length === 0) continue;
    const into = join(`${file}.files`, kind);
    mkdirSync(into, { recursive: true, mode: 0o700 });
    for (const name of wanted[kind]) {
      await copyFile(join(dirs[kind], name), join(into, name), constants.COPYFILE_EXCL);
      n++;
      if (n % 100 === 0 || n === total) progress(`large-blob files ${n}/${total}`);
    }
  }
  return n;
}

/** `vmtd backup --verify FILE`: reads the copy only (nothing is created beside it). */
function verify(env: CliEnv, file: string): number {
  if (!existsSync(file)) throw new CliError(`${file}: no such backup`, EX.NOINPUT);
  const problems: string[] = [];
  let check;
  try {
    check = checkBackupCopy(file);
  } catch (err) {
    throw new CliError(`${file}: not a readable SQLite database (${(err as Error).message})`, EX.DATAERR);
  }
  if (!(check.integrity.length === 1 && check.integrity[0] === 'ok')) problems.push(`integrity_check: ${check.integrity.slice(0, 5).join('; ')}`);
  if (check.schemaVersion === 0) problems.push('schema version 0: not a vmtd database');
  else if (check.schemaVersion > check.expectedVersion) problems.push(`schema version ${check.schemaVersion} is newer than this vmtd (${check.expectedVersion}): restore it with the vmtd that wrote it`);
  let files = 0;
  for (const kind of ['spool', 'blobs'] as const) {
    for (const name of check.named[kind]) {
      const p = join(`${file}.files`, kind, name);
      files++;
      try {
        if (!statSync(p).isFile()) problems.push(`${p}: not a file`);
      } catch {
        problems.push(`missing ${p} (named by the copy's ${kind === 'spool' ? 'spool' : 'messages or payloads'})`);
      }
    }
  }
  if (problems.length > 0) {
    env.out(`${file}: NOT OK\n${problems.map((p) => `  ${p}\n`).join('')}`);
    return EX.DATAERR;
  }
  const older = check.schemaVersion < check.expectedVersion ? ` (vmtd migrates it to ${check.expectedVersion} on start)` : '';
  env.out(`${file}: OK (integrity ok, schema version ${check.schemaVersion}${older}, ${files} large-blob files present)\n`);
  return EX.OK;
}
