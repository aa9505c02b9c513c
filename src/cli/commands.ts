import type { CliEnv } from './env.js';
import { serve } from './serve.js';
import { ingest } from './ingest.js';
import { caseCommand, caseHelp } from './case.js';
import { keysCommand, keysHelp } from './keys.js';
import { init, tick } from './engine-commands.js';
import { advisoryCommand } from './advisory.js';
import { backup, backupHelp } from './backup.js';
import { doctor } from './doctor.js';
import { spoolCommand, spoolHelp } from './spool.js';
import { outboxCommand, outboxHelp } from './outbox.js';

export interface Command {
  needsConfig?: boolean;
  /** `vmtd COMMAND --help`: this command's help alone. */
  help?: string;
  run(env: CliEnv): Promise<number>;
}


const h = (synopsis: string, text: string): string => `usage: vmtd ${synopsis} [--config FILE]\n\n${text}\n`;

export const commands: Record<string, Command> = {
  serve: { run: serve, help: h('serve', 'runs the daemon: SMTP intake, IMAP pollers, outbox worker, scheduler.\nSIGTERM stops it cleanly; SIGHUP (systemctl reload vmtd) rereads the configuration and keys.') },
  init: { run: init, help: h('init', 'creates the data directory, database, data key and team key (idempotent).') },
  ingest: { run: ingest, help: h('ingest [FILE] [--sender ADDR] [--recipient ADDR]…', 'spools one message from FILE or stdin, as an MTA pipe would; exit 0 once durable,\n75 (tempfail) when it cannot be stored.') },
  tick: { run: tick, help: h('tick [--now ISO-8601]', 'runs the planner once at that time and delivers what is due.') },
  keys: { run: keysCommand, help: keysHelp },
  case: { run: caseCommand, help: caseHelp },
  advisory: { needsConfig: false, run: advisoryCommand, help: h('advisory render FILE --format rst|html|osv|cve', 'renders and validates one advisory offline.') },
  backup: { run: backup, help: backupHelp },
  doctor: { run: doctor, help: h('doctor', 'checks configuration, data directory, database, keys and transport; one line per\nfinding with the fix; exit 1 on any FAIL. Creates and changes nothing.') },
  spool: { run: spoolCommand, help: spoolHelp },
  outbox: { run: outboxCommand, help: outboxHelp },
};
