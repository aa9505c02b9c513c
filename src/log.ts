import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * The structured JSON logger: one line per event, each with `time` as ISO-8601 UTC (e.g.
 * "2026-12-02T13:05:01.123Z"), written to stderr (so stdout stays free for command output, and
 * journald takes it under systemd) or to `destination` (tests). Callers log IDs, states, codes,
 * addresses and reasons only: never message content, subjects, titles or key material.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino({ level, base: { name: 'vmtd' }, timestamp: pino.stdTimeFunctions.isoTime }, destination ?? pino.destination({ fd: 2, sync: true }));
}
