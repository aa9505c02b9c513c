import type { CaseState } from '../cases/lifecycle.js';
import { isCaseKind } from '../cases/kind.js';
import type { AdvisoryRevision, CaseRecord, Credit } from '../cases/record.js';
import type { Db } from './db.js';
import type { Sealer } from './seal.js';
import { getCase, membersOf, removeMember, upsertMember } from './cases.js';

/** Reads a case as a record, or undefined when there is no such case. */
export function loadCaseRecord(db: Db, sealer: Sealer, id: string): CaseRecord | undefined {
  const c = getCase(db, sealer, id);
  if (!c) return undefined;
  const extra = db.prepare('SELECT leaked_at, embargo_override, kind FROM cases WHERE id = ?').get(c.id) as { leaked_at: string | null; embargo_override: string | null; kind: string };
  const rows = <T>(sql: string): T[] => db.prepare(sql).all(c.id) as T[];
  const adv = db.prepare('SELECT revision, state FROM advisories WHERE case_id = ? ORDER BY revision DESC LIMIT 1').get(c.id) as AdvisoryRevision | undefined;
  return {
    id: c.id,
    state: c.state as CaseState,
    kind: isCaseKind(extra.kind) ? extra.kind : 'vulnerability',
    class: c.class,
    severity: c.severity,
    title: c.title,
    createdAt: c.createdAt,
    embargo: c.embargo,
    embargoOverride: extra.embargo_override,
    leakedAt: extra.leaked_at,
    mergedInto: c.mergedInto,
    cves: rows<{ cve: string }>('SELECT cve FROM case_cves WHERE case_id = ? ORDER BY cve').map((r) => r.cve),
    projects: Object.fromEntries(rows<{ project_id: string; status: string }>('SELECT project_id, status FROM case_projects WHERE case_id = ?').map((r) => [r.project_id, r.status])),
    members: membersOf(db, c.id),
    credits: caseCredits(db, c.id),
    stakeholders: rows<{ stakeholder: string }>('SELECT stakeholder FROM case_stakeholders WHERE case_id = ? ORDER BY stakeholder').map((r) => r.stakeholder),
    advisory: adv ?? null,
    newAdvisoryYaml: null,
    newPatches: [],
  };
}

/** The credits given by X-CREDIT, in the order given (who gave each, its text and OSV type). */
export function caseCredits(db: Db, caseId: string): Credit[] {
  return db.prepare('SELECT email, text, type FROM case_credits WHERE case_id = ? ORDER BY rowid').all(caseId) as Credit[];
}

/** Writes the difference between two records of one case; call inside a transaction. */
export function saveCaseRecord(db: Db, sealer: Sealer, before: CaseRecord, after: CaseRecord, at: string, actor: string): void {
  const id = after.id;
  db.prepare(
    `UPDATE cases SET state = ?, kind = ?, class = ?, severity = ?, title_sealed = ?, embargo = ?, embargo_override = ?, leaked_at = ?, merged_into = ?, updated_at = ? WHERE id = ?`,
  ).run(after.state, after.kind ?? 'vulnerability', after.class, after.severity, sealer.seal(after.title), after.embargo, after.embargoOverride, after.leakedAt, after.mergedInto, at, id);
  for (const cve of after.cves.filter((c) => !before.cves.includes(c))) db.prepare('INSERT OR IGNORE INTO case_cves (case_id, cve) VALUES (?, ?)').run(id, cve);
  for (const cve of before.cves.filter((c) => !after.cves.includes(c))) db.prepare('DELETE FROM case_cves WHERE case_id = ? AND cve = ?').run(id, cve);
  for (const [p, status] of Object.entries(after.projects)) {
    db.prepare('INSERT INTO case_projects (case_id, project_id, status) VALUES (?, ?, ?) ON CONFLICT(case_id, project_id) DO UPDATE SET status = excluded.status').run(id, p, status);
  }
  for (const m of before.members.filter((m) => !after.members.some((n) => n.email === m.email))) removeMember(db, id, m.email);
  for (const m of after.members) upsertMember(db, id, m, at);
  db.prepare('DELETE FROM case_credits WHERE case_id = ?').run(id);
  for (const c of after.credits) db.prepare('INSERT OR IGNORE INTO case_credits (case_id, email, text, type) VALUES (?, ?, ?, ?)').run(id, c.email, c.text, c.type);
  for (const s of after.stakeholders.filter((s) => !before.stakeholders.includes(s))) db.prepare('INSERT OR IGNORE INTO case_stakeholders (case_id, stakeholder, added_at) VALUES (?, ?, ?)').run(id, s, at);
  if (after.newAdvisoryYaml !== null) {
    // The new revision is stored in the state the record gives it: X-ADVISORY and X-APPROVE in
    // one message store it approved (by this signer, now), never a draft the answer called approved.
    const revision = after.advisory?.revision ?? (before.advisory?.revision ?? 0) + 1;
    const state = after.advisory?.state ?? 'draft';
    const approved = state === 'approved';
    db.prepare('INSERT INTO advisories (case_id, revision, state, yaml_sealed, created_at, approved_at, approved_by) VALUES (?, ?, ?, ?, ?, ?, ?)').run(
      id,
      revision,
      state,
      sealer.seal(after.newAdvisoryYaml),
      at,
      approved ? at : null,
      approved ? actor : null,
    );
    for (const p of after.newPatches) db.prepare('INSERT OR REPLACE INTO advisory_patches (case_id, revision, name, content_sealed) VALUES (?, ?, ?, ?)').run(id, revision, p.name, sealer.seal(p.content));
  } else if (after.advisory && before.advisory && after.advisory.state !== before.advisory.state) {
    db.prepare('UPDATE advisories SET state = ?, approved_at = CASE WHEN ? = \'approved\' THEN ? ELSE approved_at END, approved_by = CASE WHEN ? = \'approved\' THEN ? ELSE approved_by END WHERE case_id = ? AND revision = ?').run(
      after.advisory.state,
      after.advisory.state,
      at,
      after.advisory.state,
      actor,
      id,
      after.advisory.revision,
    );
  }
}
