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
