import { readFileSync } from 'node:fs';
import type { CliEnv } from './main.js';
import { serve } from './serve.js';
import { ingest } from './ingest.js';
import { caseCommand } from './case.js';
import { keysCommand } from './keys.js';
import { init, tick } from './engine-commands.js';
import { advisoryCommand } from './advisory.js';
import { backup } from './backup.js';
import { doctor } from './doctor.js';
import { CliError, EX } from './exit.js';

export interface Command {
  needsConfig?: boolean;
  run(env: CliEnv): Promise<number>;
}

/** Reads a file named on the command line, or fails with EX_NOINPUT naming it. */
export function readInput(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, EX.NOINPUT);
  }
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
};
