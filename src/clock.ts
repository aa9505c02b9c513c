/** The source of "now" everywhere in vmtd: passed in, so tests and `vmtd tick --now` can travel in time. */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();

/** ISO-8601 in UTC with seconds, the one timestamp format stored and shown. */
export function iso(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
