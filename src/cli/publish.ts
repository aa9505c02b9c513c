import { existsSync } from 'node:fs';
import { openVmtd } from '../context.js';
import { dataFiles } from '../store/layout.js';
import { createLogger } from '../log.js';
import { CliError, EX } from './exit.js';
import type { CliEnv } from './env.js';

export const publishHelp = `usage: vmtd publish --rebuild [--json] [--config FILE]

Rewrites the public site (instance.publicDir) from the database: the page, OSV, CVE and CSAF
records and clear-signed text (ID.txt.asc) of every published advisory (its newest published
revision, errata included, dated as published), the index, the Atom feed, security.txt, team.asc
and the Web Key Directory. Use it after deleting or damaging publicDir, after changing
templates, instance.name or instance.publicUrl. Safe beside the running daemon (it writes
through temporary files); unchanged data gives the same files (security.txt is signed anew).
Progress goes to stderr ("rebuilt 3/12 ID"); --json prints a summary object on stdout.
`;

/** `vmtd publish --rebuild`: the whole public site from the database; exit 0, or 66 without a database. */
export async function publishCommand(env: CliEnv): Promise<number> {
  if (!env.values.rebuild || env.args.length > 0) throw new CliError('usage: vmtd publish --rebuild [--json] (vmtd publish --help)', EX.USAGE);
  const db = dataFiles(env.config.instance.dataDir).db;
  // Opening would create an empty instance: a wrong --config must not rebuild an empty site.
  if (!existsSync(db)) throw new CliError(`no database at ${db}: nothing was ever published from here (check instance.dataDir)`, EX.NOINPUT);
  const ctx = await openVmtd(env.config, env.clock, createLogger(env.config.log.level === 'info' ? 'warn' : env.config.log.level));
  try {
    const { rebuildPublicSite } = await import('../jobs/publication.js');
    const summary = await rebuildPublicSite(ctx, (done, total, id) => void process.stderr.write(`rebuilt ${done}/${total} ${id}\n`));
    if (env.values.json) env.out(`${JSON.stringify(summary, null, 2)}\n`);
    else env.out(`rebuilt ${summary.publicDir}: ${summary.advisories.length} advisories, ${summary.files} files${summary.kept.length > 0 ? `; kept from the old index: ${summary.kept.join(', ')}` : ''}\n`);
    return EX.OK;
  } finally {
    ctx.db.close();
  }
}
