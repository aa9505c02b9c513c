import type { CliEnv } from './env.js';
import { serve } from './serve.js';
import { ingest } from './ingest.js';
import { caseCommand } from './case.js';
import { keysCommand } from './keys.js';
import { init, tick } from './engine-commands.js';
import { advisoryCommand } from './advisory.js';
import { backup } from './backup.js';
import { doctor } from './doctor.js';
import { spoolCommand, spoolHelp } from './spool.js';

export interface Command {
  needsConfig?: boolean;
  /** `vmtd COMMAND --help`: this command's help alone. */
  help?: string;
  run(env: CliEnv): Promise<number>;
}


export const commands: Record<string, Command> = {
  serve: { run: serve },
  init: { run: init },
  ingest: { run: ingest },
  tick: { run: tick },
  keys: { run: keysCommand },
  case: { run: caseCommand },
  advisory: { needsConfig: false, run: advisoryCommand },
  backup: { run: backup },
  doctor: { run: doctor },
  spool: { run: spoolCommand, help: spoolHelp },
};
