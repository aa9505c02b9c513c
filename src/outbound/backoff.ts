/** When to try a temporarily failed delivery again: 1, 2, 4 … minutes, at most an hour apart. Pure. */
export function nextAttempt(now: Date, attemptsSoFar: number): Date {
  const minutes = Math.min(60, 2 ** Math.min(attemptsSoFar, 6));
  return new Date(now.getTime() + minutes * 60_000);
}

/** Whether a mail queued at `createdAt` is past the retry horizon and must be given up. Pure. */
export function pastHorizon(createdAt: string, now: Date, horizonHours: number): boolean {
  return now.getTime() - Date.parse(createdAt) > horizonHours * 3600_000;
}
