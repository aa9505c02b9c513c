import { dataFiles } from '../store/layout.js';
import { checkDatabase, checkDataDir, checkKeys, checkMailRouting, checkPermissions, checkTransport, guarded, keyringView, openForReading, readTeamKey, type Finding } from '../doctor/checks.js';
import { checkRegistryKeys } from '../doctor/registry-keys.js';
import type { Db } from '../store/db.js';
import type * as openpgp from 'openpgp';
import { EX } from './exit.js';
import type { CliEnv } from './env.js';

/**
 * `vmtd doctor`: one line per finding, with the fix; exit 1 when anything FAILs. (A bad config
 * already exits 78.) It creates and changes nothing: the database is read from a snapshot or
 * read-only, keys from their files; an I/O error is a FAIL line, never a stack trace.
 */
export async function doctor(env: CliEnv): Promise<number> {
  const config = env.config;
  const now = env.clock();
  const dir = config.instance.dataDir;
  const files = dataFiles(dir);
  const findings: Finding[] = [{ level: 'ok', what: `configuration ${config.file} is valid` }];
  const data = checkDataDir(dir);
  findings.push(...data.findings);
  let db: Db | undefined;
  let team: openpgp.PublicKey | undefined;
  try {
    if (data.usable) {
      findings.push(...(await guarded('data directory', dir, () => checkPermissions(dir))));
      findings.push(
        ...(await guarded(`database ${files.db}`, files.db, () => {
          db = openForReading(files.db);
          return db ? checkDatabase(db, now) : [];
        })),
      );
      findings.push(
        ...(await guarded(`team key ${files.teamKey}`, files.teamKey, async () => {
          team = await readTeamKey(files.teamKey);
          return [];
        })),
      );
    }
    findings.push(
      ...(await guarded('keys', dir, async () => {
        const view = await keyringView(config, db, team, now);
        return [...view.findings, ...(await checkKeys({ config, keyring: view.keyring, people: view.people, team, now })), ...(await checkRegistryKeys({ config, db, keyring: view.keyring, people: view.people, now }))];
      })),
    );
  } finally {
    (db as Db | undefined)?.close();
  }
  findings.push(...(await guarded('transport', config.delivery.maildir, () => checkTransport(config))));
  findings.push(...checkMailRouting(config));
  for (const f of findings) env.out(`${f.level.padEnd(4)}  ${f.what}${f.fix ? ` — ${f.fix}` : ''}\n`);
  const failed = findings.filter((f) => f.level === 'FAIL').length;
  env.out(failed ? `${failed} problem(s) to fix\n` : 'no problems found\n');
  return failed ? 1 : EX.OK;
}
