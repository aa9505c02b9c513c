import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * The structured JSON logger, writing to stderr so stdout stays free for command output.
 * Callers log IDs, states and reasons only: never message content, subjects or key material.
 */
export function createLogger(level: string): Logger {
  return pino({ level, base: { name: 'vmtd' } }, pino.destination({ fd: 2, sync: true }));
}
