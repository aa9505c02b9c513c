/** An embargo as written in X-EMBARGO. */
export type EmbargoSpec = { kind: 'none' } | { kind: 'at'; at: Date; warnings: string[] };

const DAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/**
 * Parses `YYYY-MM-DD HH:MM UTC`, `YYYY-MM-DD` (at the configured default time, UTC) or `none`.
 * Disclosure on a Monday, a Friday or a weekend is accepted with a warning (OpenStack avoids them). Pure.
 */
export function parseEmbargo(args: string, defaultTime: string): { ok: true; spec: EmbargoSpec } | { ok: false; reason: string } {
  const a = args.trim();
  if (/^none$/i.test(a)) return { ok: true, spec: { kind: 'none' } };
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::00)?)?\s*(UTC|Z|GMT|\+00:?00)?$/i.exec(a);
  if (!m) return { ok: false, reason: `"${a}" is not a date: write YYYY-MM-DD HH:MM UTC, YYYY-MM-DD (means ${defaultTime} UTC) or none` };
  const [, y, mo, d] = m;
  const [hh, mm] = m[4] ? [m[4], m[5]!] : defaultTime.split(':');
  const at = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(hh), Number(mm)));
  if (at.getUTCFullYear() !== Number(y) || at.getUTCMonth() !== Number(mo) - 1 || at.getUTCDate() !== Number(d) || Number(hh) > 23 || Number(mm) > 59) {
    return { ok: false, reason: `"${a}" is not a valid date and time` };
  }
  const day = at.getUTCDay();
  const warnings = [1, 5, 6, 0].includes(day) ? [`disclosure falls on a ${DAY_NAMES[day]}: prefer Tuesday to Thursday`] : [];
  return { ok: true, spec: { kind: 'at', at, warnings } };
}

/**
 * Checks an embargo against the policy: in the future, and within maxEmbargoDays of the report
 * unless overridden. Pure.
 */
export function embargoProblem(at: Date, now: Date, reportedAt: Date, maxDays: number, overridden: boolean): string | null {
  if (at.getTime() <= now.getTime()) return `${formatUtc(at)} is in the past`;
  const limit = new Date(reportedAt.getTime() + maxDays * 86_400_000);
  if (at > limit && !overridden) {
    return `${formatUtc(at)} is beyond the policy maximum of ${maxDays} days after the report (${formatUtc(limit)}); add X-EMBARGO-OVERRIDE: reason to go beyond it`;
  }
  return null;
}

/** `YYYY-MM-DD HH:MM UTC`: how every time is shown to people. */
export function formatUtc(d: Date): string {
  return `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 16)} UTC`;
}
