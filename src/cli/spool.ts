import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { iso } from '../clock.js';
import { dataFiles } from '../store/layout.js';
import { loadOrCreateDataKey, sealerFor } from '../store/seal.js';
import { dropSpool, releaseSpool, spoolFacts, spoolList, spoolRow, type SpoolFacts } from '../store/spool.js';
import { CliError, EX } from './exit.js';
import { openExistingDb, type CliEnv } from './env.js';

export const spoolHelp = `usage: vmtd spool <subcommand> [--config FILE]

The intake queue: every message received, sealed, until the pipeline has worked it; messages it
could not work (bad input, or three failed attempts) wait in quarantine with their reason.

  list [--quarantined] [--json]   messages waiting, quarantined or set aside with a reason
                                  (refused commands, dropped), or only the quarantined: id,
                                  received, via, envelope sender, size, state, outcome, reason;
                                  never content
  show ID [--json]                one message's facts, then the message as received (unsealed)
                                  on stdout: embargoed content, keep it on this server
  release ID                      a quarantined message goes back to the queue (attempts reset);
                                  the running daemon picks it up within seconds
  drop ID                         gives a quarantined message up: kept, marked dropped, never
                                  processed; nothing is deleted

release and drop are recorded as events (actor cli:USER).
`;

const columns = ['ID', 'RECEIVED', 'VIA', 'SENDER', 'SIZE', 'STATE', 'ATTEMPTS', 'OUTCOME', 'REASON'];

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n') + '\n';
}

const row = (f: SpoolFacts): string[] => [String(f.id), f.receivedAt, f.via, f.mailFrom || '<>', String(f.size), f.state, String(f.attempts), f.outcome ?? '-', f.reason ?? '-'];

function human(f: SpoolFacts): string {
  return [
    `spool ${f.id}  ${f.state}${f.outcome ? `  ${f.outcome}` : ''}`,
    `received:   ${f.receivedAt} via ${f.via}`,
    `sender:     ${f.mailFrom || '<>'}`,
    `recipients: ${f.rcptTo.join(', ')}`,
    `size:       ${f.size} bytes${f.file ? ` (spool file ${f.file})` : ''}`,
    `attempts:   ${f.attempts}`,
    `case:       ${f.caseId ?? '-'}`,
    `processed:  ${f.processedAt ?? '-'}`,
    `reason:     ${f.reason ?? '-'}`,
  ].join('\n');
}

/** The operator running the command, for events. */
function actor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return `cli:uid ${process.getuid?.() ?? '?'}`;
  }
}

function spoolId(arg: string | undefined, usage: string): number {
  if (!arg || !/^\d+$/.test(arg)) throw new CliError(`usage: vmtd spool ${usage}`, EX.USAGE);
  return Number(arg);
}

/** `vmtd spool list|show|release|drop`: works on the database alone (no keys), while the daemon runs. */
export async function spoolCommand(env: CliEnv): Promise<number> {
  const [sub, arg] = env.args;
  if (!sub || !['list', 'show', 'release', 'drop'].includes(sub)) throw new CliError(`usage: vmtd spool list [--quarantined] [--json] | show ID [--json] | release ID | drop ID (vmtd spool --help)`, EX.USAGE);
  const files = dataFiles(env.config.instance.dataDir);
  const db = openExistingDb(env, 'nothing was ever spooled here');
  try {
    if (sub === 'list') {
      const rows = spoolList(db, { quarantinedOnly: Boolean(env.values.quarantined) });
      if (env.values.json) env.out(JSON.stringify(rows, null, 2) + '\n');
      else env.out(rows.length === 0 ? (env.values.quarantined ? 'no quarantined messages\n' : 'no messages waiting, quarantined or set aside\n') : table([columns, ...rows.map(row)]));
      return EX.OK;
    }
    if (sub === 'show') {
      const id = spoolId(arg, 'show ID [--json]');
      const facts = spoolFacts(db, id);
      if (!facts) throw new CliError(`no spooled message ${id}`, EX.NOINPUT);
      let raw: Buffer | undefined;
      let problem: string | undefined;
      try {
        if (!existsSync(files.dataKey)) throw new Error(`the data key ${files.dataKey} is missing`);
        raw = (await spoolRow(db, sealerFor(loadOrCreateDataKey(files.dataKey)), files.spool, id))?.raw;
      } catch (err) {
        problem = `${(err as NodeJS.ErrnoException).code ?? ''} ${(err as Error).message.split('\n')[0]}`.trim();
      }
      if (env.values.json) env.out(JSON.stringify({ ...facts, message: raw ? raw.toString('utf8') : null, ...(problem ? { unsealError: problem } : {}) }, null, 2) + '\n');
      else env.out(`${human(facts)}\n\n`);
      if (problem) throw new CliError(`spool ${id}: the message cannot be read or unsealed: ${problem}`, EX.DATAERR);
      process.stderr.write(`vmtd: spool ${id} as received: it may hold embargoed content; do not copy it off this server\n`);
      // The bytes as received (not re-encoded).
      if (!env.values.json) process.stdout.write(raw!);
      return EX.OK;
    }
    const id = spoolId(arg, `${sub} ID`);
    const before = (sub === 'release' ? releaseSpool : dropSpool)(db, id, actor(), iso(env.clock()));
    if (before === undefined) throw new CliError(`no spooled message ${id}`, EX.NOINPUT);
    if (before !== 'quarantined') throw new CliError(`spool ${id} is ${before === 'done' ? 'done' : 'pending'}, not quarantined: nothing to ${sub}`, EX.DATAERR);
    env.out(sub === 'release' ? `released spool ${id}: back in the queue; the running daemon processes it within seconds (or the next vmtd serve / tick)\n` : `dropped spool ${id}: kept, never processed\n`);
    return EX.OK;
  } finally {
    db.close();
  }
}
