// A planner pass reuses the previous pass's reads when the database has not changed since
// (planReads, issue 16). A stale reuse would mean a notice not sent or sent late, so this attacks
// it: random writes of every kind the plan depends on, through this connection, through another
// one, rolled back, and none at all, each followed by a pass whose reads must equal fresh ones
// and leave nothing for a fresh sync of the planned notices to do.
import t from 'tap';
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { buildScaleDb } from '../../bench/scale-data.js';
import { contentVersion, openDb } from '../../src/store/db.js';
import { announcements, doneKeys, loadPlanCases, planReads, syncPlannedNotices, type PlanReads } from '../../src/store/plan-facts.js';
import { isoMinute, noticeDue, plan } from '../../src/scheduler/planner.js';
import { sealerFor } from '../../src/store/seal.js';

const DAY = 86_400_000;
const now = new Date('2026-06-10T09:00:00Z');
const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
type Stakeholders = Parameters<typeof planReads>[1];
const stakeholdersWith = (noticeDays: number): Stakeholders =>
  [
    { id: 'distros', name: 'linux-distros', email: 'distros@example.net', noticeDays, maxDays: 14, subjectPrefix: '[vs] ' },
    { id: 'cloud', name: 'Cloud', email: 'cloud@example.net', noticeDays: 3, maxDays: 14, subjectPrefix: '' },
  ] as unknown as Stakeholders;

const dir = mkdtempSync(join(tmpdir(), 'vmtd-plan-reads-'));
const file = join(dir, 'vmtd.sqlite');
const db = openDb(file);
// Another process's connection (the CLI): its commits are seen through PRAGMA data_version.
const other = openDb(file);
t.teardown(() => {
  db.close();
  other.close();
  rmSync(dir, { recursive: true, force: true });
});
const yaml = readFileSync(fileURLToPath(new URL('../fixtures/advisories/minimal.yaml', import.meta.url)), 'utf8');
buildScaleDb(db, sealerFor(randomBytes(32)), now.getTime(), {
  cases: 120,
  open: 40,
  projects: 5,
  coordinators: [{ email: 'coord@example.org', name: 'Coord' }],
  stakeholder: 'distros',
  maxEmbargoDays: 60,
  reminderDays: [14, 7, 2],
  advisoryYaml: yaml,
});
const caseIds = (db.prepare('SELECT id FROM cases ORDER BY id').all() as Array<{ id: string }>).map((r) => r.id);
const states = ['new', 'triaged', 'accepted', 'scheduled', 'closed', 'published'] as const;

/** One write the plan depends on, or none. */
type Op =
  | { kind: 'none' }
  | { kind: 'state'; c: number; state: (typeof states)[number]; via: 'this' | 'other' }
  | { kind: 'embargo'; c: number; days: number | null; via: 'this' | 'other' }
  | { kind: 'leaked' | 'override'; c: number }
  | { kind: 'stakeholder'; c: number; id: 'distros' | 'cloud'; add: boolean }
  | { kind: 'advisory'; c: number; state: 'draft' | 'approved' | 'published' }
  | { kind: 'notice'; c: number; noticeKind: 'pre-disclosure' | 'update'; days: number | null }
  | { kind: 'rolled back'; c: number }
  | { kind: 'reconfigured'; noticeDays: number };

const c = fc.nat({ max: caseIds.length - 1 });
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.constant<Op>({ kind: 'none' }),
  fc.record({ kind: fc.constant('state' as const), c, state: fc.constantFrom(...states), via: fc.constantFrom('this' as const, 'other' as const) }),
  fc.record({ kind: fc.constant('embargo' as const), c, days: fc.option(fc.integer({ min: -5, max: 40 })), via: fc.constantFrom('this' as const, 'other' as const) }),
  fc.record({ kind: fc.constantFrom('leaked' as const, 'override' as const), c }),
  fc.record({ kind: fc.constant('stakeholder' as const), c, id: fc.constantFrom('distros' as const, 'cloud' as const), add: fc.boolean() }),
  fc.record({ kind: fc.constant('advisory' as const), c, state: fc.constantFrom('draft' as const, 'approved' as const, 'published' as const) }),
  fc.record({ kind: fc.constant('notice' as const), c, noticeKind: fc.constantFrom('pre-disclosure' as const, 'update' as const), days: fc.option(fc.integer({ min: -5, max: 40 })) }),
  fc.record({ kind: fc.constant('rolled back' as const), c }),
  fc.record({ kind: fc.constant('reconfigured' as const), noticeDays: fc.integer({ min: 1, max: 10 }) }),
);

let serial = 0;
function apply(o: Op, config: { stakeholders: Stakeholders }): void {
  if (o.kind === 'none') return;
  if (o.kind === 'reconfigured') {
    config.stakeholders = stakeholdersWith(o.noticeDays);
    return;
  }
  const id = caseIds[o.c]!;
  const at = iso(now.getTime() + serial++ * 1000);
  switch (o.kind) {
    case 'state':
      (o.via === 'this' ? db : other).prepare('UPDATE cases SET state = ? WHERE id = ?').run(o.state, id);
      return;
    case 'embargo':
      (o.via === 'this' ? db : other).prepare('UPDATE cases SET embargo = ? WHERE id = ?').run(o.days === null ? null : iso(now.getTime() + o.days * DAY), id);
      return;
    case 'leaked':
      db.prepare('UPDATE cases SET leaked_at = ? WHERE id = ?').run(at, id);
      return;
    case 'override':
      db.prepare("UPDATE cases SET embargo_override = 'vendor asked' WHERE id = ?").run(id);
      return;
    case 'stakeholder':
      if (o.add) db.prepare('INSERT OR IGNORE INTO case_stakeholders (case_id, stakeholder, added_at) VALUES (?, ?, ?)').run(id, o.id, at);
      else db.prepare('DELETE FROM case_stakeholders WHERE case_id = ? AND stakeholder = ?').run(id, o.id);
      return;
    case 'advisory': {
      const revision = ((db.prepare('SELECT MAX(revision) AS r FROM advisories WHERE case_id = ?').get(id) as { r: number | null }).r ?? 0) + 1;
      db.prepare('INSERT INTO advisories (case_id, revision, state, yaml_sealed, created_at, approved_at) VALUES (?, ?, ?, ?, ?, ?)').run(id, revision, o.state, Buffer.from('x'), at, o.state === 'draft' ? null : at);
      return;
    }
    case 'notice': {
      const embargo = o.days === null ? 'none' : iso(now.getTime() + o.days * DAY).slice(0, 16) + 'Z';
      db.prepare("INSERT INTO notices (key, case_id, kind, stakeholder, embargo, due_at, state, sent_at) VALUES (?, ?, ?, 'distros', ?, ?, 'sent', ?)").run(`test:${serial}:${id}`, id, o.noticeKind, embargo, at, at);
      return;
    }
    case 'rolled back':
      try {
        db.transaction(() => {
          db.prepare("UPDATE cases SET embargo = '2030-01-01T00:00:00Z' WHERE id = ?").run(id);
          throw new Error('rolled back');
        })();
      } catch {
        // Nothing changed, though rows were written for a moment.
      }
  }
}

function freshReads(): PlanReads {
  const cases = loadPlanCases(db);
  const ids = cases.map((x) => x.id);
  return { cases, done: doneKeys(db, ids), announced: announcements(db, ids) };
}

t.test('a pass after any write reads what a fresh read gives; after none, it reuses the last reads', async (t) => {
  const config = { stakeholders: stakeholdersWith(7) };
  let previous = planReads(db, config.stakeholders);
  let reused = 0;
  let reread = 0;
  const result = fc.check(
    fc.property(fc.array(op, { minLength: 1, maxLength: 8 }), (ops) => {
      for (const o of ops) {
        const stakeholdersBefore = config.stakeholders;
        const versionBefore = contentVersion(db);
        apply(o, config);
        const unchanged = contentVersion(db) === versionBefore && config.stakeholders === stakeholdersBefore;
        const reads = planReads(db, config.stakeholders);
        if (reads === previous) reused++;
        else reread++;
        // Nothing written: the last pass's reads, not a new read.
        if (unchanged && reads !== previous) throw new Error(`${o.kind}: read again although nothing changed`);
        if (!isDeepStrictEqual({ ...reads, done: [...reads.done].sort() }, { ...freshReads(), done: [...freshReads().done].sort() })) throw new Error(`${o.kind}: the reads differ from fresh ones`);
        // The planned rows are what the rule says, read without the planner's code: one per
        // configured stakeholder of each embargoed, unleaked, unpublished case whose pre-disclosure
        // has not gone out (sent or failed), due the stakeholder's window before the embargo.
        const expected = new Map<string, [string, string]>();
        for (const x of freshReads().cases) {
          if (!x.embargo || x.leakedAt || x.state === 'published') continue;
          for (const sid of x.stakeholders) {
            const s = config.stakeholders.find((y) => y.id === sid);
            const key = `pre:${x.id}:${sid}`;
            const state = (db.prepare('SELECT state FROM notices WHERE key = ?').get(key) as { state: string } | undefined)?.state;
            if (s && state !== 'sent' && state !== 'failed') expected.set(key, [isoMinute(x.embargo), noticeDue(x.embargo, s).toISOString()]);
          }
        }
        const actual = new Map((db.prepare("SELECT key, embargo, due_at FROM notices WHERE kind = 'pre-disclosure' AND state = 'planned'").all() as Array<{ key: string; embargo: string; due_at: string }>).map((r) => [r.key, [r.embargo, r.due_at]]));
        if (!isDeepStrictEqual(new Map([...actual].sort()), new Map([...expected].sort()))) throw new Error(`${o.kind}: the planned pre-disclosures are not what the rule says`);
        // The planned notices are as a sync from fresh reads makes them: it has nothing to write.
        const before = contentVersion(db);
        syncPlannedNotices(db, loadPlanCases(db), config.stakeholders);
        if (contentVersion(db) !== before) throw new Error(`${o.kind}: the planned notices were out of date`);
        // The plan does not change what it was given (the reads are shared between passes).
        const copy = structuredClone(reads);
        plan({ now, ...reads, stakeholders: config.stakeholders, maxEmbargoDays: 60, coordinators: ['coord@example.org'], digestMinute: 0 });
        if (!isDeepStrictEqual(copy, reads)) throw new Error('plan() changed its input');
        previous = planReads(db, config.stakeholders);
      }
    }),
    { numRuns: 60, seed: 20261203 },
  );
  t.equal(result.failed, false, result.failed ? `${String(result.counterexample ? JSON.stringify(result.counterexample) : '')}: ${String(result.errorInstance)}` : 'no counterexample');
  t.ok(reused > 20 && reread > 100, `both paths taken: ${reused} passes reused the reads, ${reread} read again`);
});

t.test('a sync a reused pass skipped is not lost: a moved embargo moves the planned notice', async (t) => {
  const stakeholders = stakeholdersWith(7);
  const id = (db.prepare("SELECT id FROM cases WHERE state = 'new' AND id NOT IN (SELECT case_id FROM notices WHERE kind = 'pre-disclosure' AND state != 'planned') ORDER BY id LIMIT 1").get() as { id: string }).id;
  db.prepare('INSERT OR IGNORE INTO case_stakeholders (case_id, stakeholder, added_at) VALUES (?, ?, ?)').run(id, 'distros', iso(now.getTime()));
  db.prepare('UPDATE cases SET embargo = ?, leaked_at = NULL WHERE id = ?').run(iso(now.getTime() + 20 * DAY), id);
  planReads(db, stakeholders);
  const due = (): string => (db.prepare("SELECT due_at FROM notices WHERE key = ? AND state = 'planned'").get(`pre:${id}:distros`) as { due_at: string }).due_at;
  t.equal(due(), new Date(now.getTime() + 13 * DAY).toISOString());
  planReads(db, stakeholders);
  other.prepare('UPDATE cases SET embargo = ? WHERE id = ?').run(iso(now.getTime() + 30 * DAY), id);
  planReads(db, stakeholders);
  t.equal(due(), new Date(now.getTime() + 23 * DAY).toISOString(), 'moved by a pass after another process moved the embargo');
});

t.test('a commit by another process while a pass reads makes the next pass read again', async (t) => {
  const id = (db.prepare("SELECT id FROM cases WHERE state = 'new' AND id NOT IN (SELECT case_id FROM notices WHERE kind = 'pre-disclosure' AND state != 'planned') ORDER BY id DESC LIMIT 1").get() as { id: string }).id;
  db.prepare('INSERT OR IGNORE INTO case_stakeholders (case_id, stakeholder, added_at) VALUES (?, ?, ?)').run(id, 'distros', iso(now.getTime()));
  db.prepare('UPDATE cases SET embargo = ?, leaked_at = NULL WHERE id = ?').run(iso(now.getTime() + 20 * DAY), id);
  // The pass reads the cases, then walks the configured stakeholders (the sync): the other
  // process commits at that moment, after the cases were read.
  let commitOnce = true;
  class CommittingWhileRead extends Array {
    override *[Symbol.iterator](): ArrayIterator<unknown> {
      if (commitOnce) {
        commitOnce = false;
        other.prepare('UPDATE cases SET embargo = ? WHERE id = ?').run(iso(now.getTime() + 30 * DAY), id);
      }
      yield* Array.prototype.values.call(this);
    }
  }
  const stakeholders = CommittingWhileRead.from(stakeholdersWith(7)) as unknown as Stakeholders;
  const during = planReads(db, stakeholders);
  t.equal(during.cases.find((c) => c.id === id)?.embargo?.getTime(), now.getTime() + 20 * DAY, 'that pass read the embargo as it was');
  const next = planReads(db, stakeholders);
  t.not(next, during, 'the next pass read again');
  t.equal(next.cases.find((c) => c.id === id)?.embargo?.getTime(), now.getTime() + 30 * DAY, 'and sees the moved embargo');
});
