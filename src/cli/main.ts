import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { systemClock, type Clock } from '../clock.js';
import { ConfigError, loadConfig } from '../config/load.js';
import type { Config } from '../config/types.js';
import { createLogger } from '../log.js';
import { CliError, EX } from './exit.js';
import { commands } from './commands.js';
export type { CliEnv } from './env.js';
import { StartupError } from '../startup-error.js';

const usage = `usage: vmtd <command> [--config FILE] [options]

commands:
  serve                         run the daemon (SMTP intake, IMAP, outbox, scheduler)
  init                          create data directory, database and team key
  ingest [FILE]                 spool one message from FILE or stdin (--sender, --recipient)
  tick [--now ISO-8601]         run the planner once and deliver what is due
  keys team|list|show|import|remove   the team key and the keyring (vmtd keys --help)
  case list|show ID|events ID [--json]  cases and their history
  advisory render FILE --format rst|html|osv|cve
  doctor                        check config, keys, database, transport (changes nothing)
  backup FILE | --verify FILE   consistent online copy of the database; check a copy
  spool list|show|release|drop  the intake queue and its quarantine (vmtd spool --help)
  outbox list|retry ID          outgoing deliveries (vmtd outbox --help)
  publish --rebuild [--json]    rewrite the public site from the database (vmtd publish --help)
  project list|show|add|update|remove   the project registry, no restart (vmtd project --help)

vmtd --version; vmtd COMMAND --help
`;


/** The version in package.json (found upward from this file: src/ or dist/src/). */
function version(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'vmtd' && pkg.version) return pkg.version;
    } catch {
      // not here: look further up
    }
  }
  return 'unknown';
}

let stdoutGuarded = false;
/**
 * Output piped into a reader that stops early (`vmtd case list | head -1`): the closed pipe
 * (EPIPE) ends the output quietly, no stack trace; the command itself still finishes.
 */
function guardStdout(): void {
  if (stdoutGuarded) return;
  stdoutGuarded = true;
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') return;
    process.stderr.write(`vmtd: cannot write output: ${err.code ?? err.message}\n`);
    process.exitCode = EX.IOERR;
  });
}

/** Runs one CLI invocation; returns the exit code (sysexits). Never throws. */
export async function main(argv: string[]): Promise<number> {
  guardStdout();
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string', short: 'c' },
        json: { type: 'boolean' },
        quarantined: { type: 'boolean' },
        now: { type: 'string' },
        sender: { type: 'string' },
        recipient: { type: 'string', multiple: true },
        format: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'V' },
        state: { type: 'string' },
        verify: { type: 'boolean' },
        rebuild: { type: 'boolean' },
        // vmtd project add|update
        name: { type: 'string' }, contact: { type: 'string', multiple: true }, key: { type: 'string', multiple: true }, 'remove-contact': { type: 'string', multiple: true },
        agreed: { type: 'string' }, repo: { type: 'string' }, active: { type: 'boolean' }, inactive: { type: 'boolean' },
      },
    });
  } catch (err) {
    process.stderr.write(`vmtd: ${(err as Error).message}\n${usage}`);
    return EX.USAGE;
  }
  if (parsed.values.version) {
    process.stdout.write(`vmtd ${version()}\n`);
    return EX.OK;
  }
  const [name, ...args] = parsed.positionals;
  const help = name ? commands[name]?.help : undefined;
  if (parsed.values.help && help) {
    process.stdout.write(await help());
    return EX.OK;
  }
  if (parsed.values.help || !name) {
    (parsed.values.help ? process.stdout : process.stderr).write(usage);
    return parsed.values.help ? EX.OK : EX.USAGE;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`vmtd: unknown command "${name}"\n${usage}`);
    return EX.USAGE;
  }
  try {
    const config = command.needsConfig === false ? (undefined as unknown as Config) : loadConfig(parsed.values.config);
    let clock: Clock = systemClock;
    if (parsed.values.now) {
      const t = Date.parse(parsed.values.now);
      if (Number.isNaN(t)) throw new CliError(`--now: not an ISO-8601 time: ${parsed.values.now}`, EX.USAGE);
      clock = () => new Date(t);
    }
    return await command.run({ config, clock, args, values: parsed.values, out: (s) => void (process.stdout.writable && process.stdout.write(s)) });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`vmtd: ${err.message}\n`);
      return EX.CONFIG;
    }
    if (err instanceof StartupError) {
      process.stderr.write(`vmtd: ${err.message}\n`);
      return err.sysexit;
    }
    if (err instanceof CliError) {
      process.stderr.write(`vmtd: ${err.message}\n`);
      return err.code;
    }
    process.stderr.write(`vmtd: internal error: ${(err as Error).stack ?? String(err)}\n`);
    return EX.SOFTWARE;
  }
}

export { createLogger };
