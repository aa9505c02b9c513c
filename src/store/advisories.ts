import { parseAdvisory, type Advisory } from '../advisories/index.js';
import type { Db } from './db.js';
import type { Sealer } from './seal.js';

export interface StoredAdvisory {
  revision: number;
  state: string;
  advisory: Advisory;
  patches: Array<{ name: string; content: Buffer }>;
}

/** The latest advisory revision of a case, parsed, with its patches; undefined when none or invalid. */
export function latestAdvisory(db: Db, sealer: Sealer, caseId: string): StoredAdvisory | undefined {
  const row = db.prepare('SELECT revision, state, yaml_sealed FROM advisories WHERE case_id = ? ORDER BY revision DESC LIMIT 1').get(caseId) as
    | { revision: number; state: string; yaml_sealed: Buffer }
    | undefined;
  if (!row) return undefined;
  const parsed = parseAdvisory(sealer.open(row.yaml_sealed).toString('utf8'));
  if (!parsed.ok) return undefined;
  const patches = (db.prepare('SELECT name, content_sealed FROM advisory_patches WHERE case_id = ? AND revision = ? ORDER BY name').all(caseId, row.revision) as Array<{ name: string; content_sealed: Buffer }>).map(
    (p) => ({ name: p.name, content: sealer.open(p.content_sealed) }),
  );
  return { revision: row.revision, state: row.state, advisory: parsed.advisory, patches };
}
