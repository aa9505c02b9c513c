import { readFileSync } from 'node:fs';
import type { Clock } from '../clock.js';
import type { Config } from '../config/types.js';
import { CliError, EX } from './exit.js';

/** What every CLI command is given: the loaded configuration, the clock, its arguments and output. */
export interface CliEnv {
  config: Config;
  clock: Clock;
  args: string[];
  values: Record<string, string | boolean | string[] | undefined>;
  out: (s: string) => void;
}

/** Reads a file named on the command line, or fails with EX_NOINPUT naming it. */
export function readInput(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, EX.NOINPUT);
  }
}
