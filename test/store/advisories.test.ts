// Which revision was published when (errata): migration 9 backfills the time of revisions
// published before it from their publish notice; recordPublication keeps the first time.
import t from 'tap';
import Database from 'better-sqlite3';
import { migrations } from '../../src/store/migrations.js';
import { migrate } from '../../src/store/db.js';
import { publicationsOf, publishedCaseIds, publishedRevisions, recordPublication } from '../../src/store/advisories.js';

t.test('published_at: backfilled from the publish notice, then recorded per revision', async (t) => {
  const db = new Database(':memory:');
  t.teardown(() => db.close());
  const mine = migrations.findIndex((sql) => sql.includes('ADD COLUMN published_at'));
  t.ok(mine > 0, 'the migration exists');
  // The database as an older vmtd left it: published revision 1, its publish notice.
  for (const sql of migrations.slice(0, mine)) db.exec(sql);
  db.pragma(`user_version = ${mine}`);
  db.prepare("INSERT INTO cases (id, state, created_at, updated_at) VALUES ('SEC-2026-0001', 'published', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')").run();
  const rev = db.prepare("INSERT INTO advisories (case_id, revision, state, yaml_sealed, created_at, approved_at) VALUES ('SEC-2026-0001', ?, ?, x'00', '2026-01-02T00:00:00Z', ?)");
  rev.run(1, 'published', '2026-01-03T00:00:00Z');
  rev.run(2, 'approved', '2026-01-09T00:00:00Z');
  db.prepare("INSERT INTO notices (key, case_id, kind, due_at, state, sent_at) VALUES ('publish:SEC-2026-0001', 'SEC-2026-0001', 'publish', '2026-01-05T15:00:00Z', 'sent', '2026-01-05T15:00:30Z')").run();
  migrate(db);

  t.same(publicationsOf(db, 'SEC-2026-0001'), [{ revision: 1, publishedAt: '2026-01-05T15:00:30Z' }], 'the notice time, not the approval time');
  t.same([...publishedRevisions(db)], [['SEC-2026-0001', 1]]);
  recordPublication(db, 'SEC-2026-0001', 2, '2026-01-10T08:00:00Z');
  recordPublication(db, 'SEC-2026-0001', 2, '2026-01-11T08:00:00Z');
  t.same(publicationsOf(db, 'SEC-2026-0001'), [
    { revision: 1, publishedAt: '2026-01-05T15:00:30Z' },
    { revision: 2, publishedAt: '2026-01-10T08:00:00Z' },
  ], 'the erratum, with its first time');
  t.same([...publishedRevisions(db)], [['SEC-2026-0001', 2]]);
  t.same(publishedCaseIds(db), ['SEC-2026-0001']);
});
