import { statement, type Db } from './db.js';

/** What became of an authenticated command message. */
export type CommandOutcome = 'applied' | 'failed' | 'refused';

/** Whether a signed statement (its signatureIdentity) was received before, whatever became of it. */
export function commandSeen(db: Db, digest: string): boolean {
  return !!statement(db, 'SELECT 1 FROM signatures_seen WHERE digest = ?').get(digest);
}

/** Records an authenticated command message; call inside the transaction that records its outcome. */
export function recordCommand(db: Db, digest: string, caseId: string | null, outcome: CommandOutcome, spoolId: number, at: string): void {
  statement(db, 'INSERT OR IGNORE INTO signatures_seen (digest, case_id, at, outcome, spool_id) VALUES (?, ?, ?, ?, ?)').run(digest, caseId, at, outcome, spoolId);
}

/** The first sighting of an encrypted payload. */
export interface PayloadSighting {
  digest: string;
  caseId: string | null;
  sender: string | null;
  spoolId: number;
}

/** The first sightings of any of these payloads (none when all are new). */
export function payloadSightings(db: Db, digests: string[]): PayloadSighting[] {
  const get = statement(db, 'SELECT digest, case_id AS caseId, sender, spool_id AS spoolId FROM payloads_seen WHERE digest = ?');
  return digests.map((d) => get.get(d) as PayloadSighting | undefined).filter((s): s is PayloadSighting => !!s);
}

/** Records the payloads a processed message decrypted (the first sighting wins); call in its transaction. */
export function recordPayloads(db: Db, digests: string[], caseId: string | null, sender: string | null, spoolId: number, at: string): void {
  const put = statement(db, 'INSERT OR IGNORE INTO payloads_seen (digest, case_id, sender, spool_id, at) VALUES (?, ?, ?, ?, ?)');
  for (const d of digests) put.run(d, caseId, sender, spoolId, at);
}

/** New cases opened since `since`, in all or by one reporter address: for the opening limits. */
export function casesOpenedSince(db: Db, since: string, reporter?: string): number {
  return reporter === undefined
    ? (statement(db, 'SELECT COUNT(*) AS n FROM cases WHERE created_at >= ?').get(since) as { n: number }).n
    : (statement(db, 'SELECT COUNT(*) AS n FROM cases WHERE reporter = ? AND created_at >= ?').get(reporter, since) as { n: number }).n;
}

/** Whether the spool holds a message quarantined since `since` whose reason starts with `prefix`. */
export function quarantinedSince(db: Db, since: string, prefix: string): boolean {
  return !!statement(db, "SELECT 1 FROM spool WHERE state = 'quarantined' AND processed_at >= ? AND reason LIKE ? || '%' LIMIT 1").get(since, prefix);
}

/** Whether an operator released this spool row from quarantine (`vmtd spool release`): it is let past the opening limits. */
export function releasedByOperator(db: Db, spoolId: number): boolean {
  return !!statement(db, "SELECT 1 FROM events WHERE kind = 'spool-released' AND json_extract(detail, '$.spool') = ? LIMIT 1").get(spoolId);
}
