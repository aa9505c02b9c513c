import { parseAdvisory, type Advisory } from '../advisories/index.js';
import type { AdvisoryRevision } from '../cases/record.js';
import type { Db } from './db.js';
import type { Sealer } from './seal.js';

export interface StoredAdvisory {
  revision: number;
  state: string;
  advisory: Advisory;
  patches: Array<{ name: string; content: Buffer }>;
}

/** What may leave the team: the public step takes only an approved revision; notices also a published one. */
export const publishable: ReadonlyArray<AdvisoryRevision['state']> = ['approved'];
export const releasable: ReadonlyArray<AdvisoryRevision['state']> = ['approved', 'published'];

/**
 * The latest advisory revision of a case whose state is one of `states`, parsed, with its
 * patches; undefined when there is none (or it does not parse). Callers name the states they may
 * send, so a draft never leaves by accident: the latest revision may well be a newer draft.
 */
export function latestAdvisory(db: Db, sealer: Sealer, caseId: string, states: ReadonlyArray<AdvisoryRevision['state']>): StoredAdvisory | undefined {
  const row = db
    .prepare(`SELECT revision, state, yaml_sealed FROM advisories WHERE case_id = ? AND state IN (${states.map(() => '?').join(', ')}) ORDER BY revision DESC LIMIT 1`)
    .get(caseId, ...states) as { revision: number; state: string; yaml_sealed: Buffer } | undefined;
  if (!row) return undefined;
  const parsed = parseAdvisory(sealer.open(row.yaml_sealed).toString('utf8'));
  if (!parsed.ok) return undefined;
  const patches = (db.prepare('SELECT name, content_sealed FROM advisory_patches WHERE case_id = ? AND revision = ? ORDER BY name').all(caseId, row.revision) as Array<{ name: string; content_sealed: Buffer }>).map(
    (p) => ({ name: p.name, content: sealer.open(p.content_sealed) }),
  );
  return { revision: row.revision, state: row.state, advisory: parsed.advisory, patches };
}

/** One published revision of a case: which, and when it went out (ISO). */
export interface Publication {
  revision: number;
  publishedAt: string;
}

/**
 * The revisions of a case that were published, oldest first: the first is the original
 * publication, each later one an erratum. A row published before migration 9 recorded no time
 * and counts from its publish notice (backfilled), else from its approval.
 */
export function publicationsOf(db: Db, caseId: string): Publication[] {
  return (
    db
      .prepare("SELECT revision, COALESCE(published_at, approved_at, created_at) AS publishedAt FROM advisories WHERE case_id = ? AND state = 'published' ORDER BY revision")
      .all(caseId) as Publication[]
  );
}

/** The newest published revision of every case that has one (case ID → revision). */
export function publishedRevisions(db: Db): Map<string, number> {
  const rows = db.prepare("SELECT case_id AS caseId, MAX(revision) AS revision FROM advisories WHERE state = 'published' GROUP BY case_id").all() as Array<{ caseId: string; revision: number }>;
  return new Map(rows.map((r) => [r.caseId, r.revision]));
}

/** The IDs of every case with a published revision, oldest case first. */
export function publishedCaseIds(db: Db): string[] {
  return (db.prepare("SELECT DISTINCT case_id AS caseId FROM advisories WHERE state = 'published' ORDER BY case_id").all() as Array<{ caseId: string }>).map((r) => r.caseId);
}

/**
 * Records that `revision` went out at `at`: the revision becomes published (an erratum keeps the
 * earlier published revisions as they are). Call inside the transaction that queues its mail.
 */
export function recordPublication(db: Db, caseId: string, revision: number, at: string): void {
  db.prepare("UPDATE advisories SET state = 'published', published_at = COALESCE(published_at, ?) WHERE case_id = ? AND revision = ?").run(at, caseId, revision);
}
