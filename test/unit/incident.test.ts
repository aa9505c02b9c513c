// Issue 18, incidents, the pure parts: an incident's state words over the one lifecycle table,
// X-KIND and X-STATE with those words, which stakeholders an incident's X-NOTIFY tells at once,
// and the digest's incident lines.
import t from 'tap';
import { caseStates } from '../../src/cases/lifecycle.js';
import { stateOfWord, stateWord, stateWords } from '../../src/cases/kind.js';
import type { CaseRecord } from '../../src/cases/record.js';
import { incidentNotice, setKind } from '../../src/commands/incident.js';
import { handlers, type KeywordEnv } from '../../src/commands/keywords.js';
import type { CommandLine } from '../../src/commands/grammar.js';
import { digestItems } from '../../src/scheduler/digest.js';

const rec = (over: Partial<CaseRecord> = {}): CaseRecord => ({
  id: 'SEC-2026-0001', state: 'new', class: null, severity: null, title: 'signing key stolen', createdAt: '2026-12-01T00:00:00Z', embargo: null, embargoOverride: null,
  leakedAt: null, mergedInto: null, cves: [], projects: { libfoo: 'affected' }, members: [], credits: [], stakeholders: [], advisory: null, newAdvisoryYaml: null, newPatches: [], ...over,
});
const line = (keyword: string, args: string): CommandLine => ({ keyword, args, line: `X-${keyword}: ${args}` });
// X-STATE reads nothing of its environment.
const env = {} as KeywordEnv;

t.test('state words: one word per lifecycle state, read back to the same state', async (t) => {
  t.same(stateWords('incident'), ['reported', 'investigating', 'contained', 'scheduled', 'disclosed', 'closed', 'rejected', 'duplicate']);
  t.same(stateWords('vulnerability'), [...caseStates]);
  for (const kind of ['incident', 'vulnerability'] as const) {
    t.equal(new Set(stateWords(kind)).size, caseStates.length, `${kind}: no two states share a word`);
    for (const s of caseStates) t.equal(stateOfWord(kind, stateWord(kind, s)), s, `${kind} ${s} round-trips`);
  }
  t.equal(stateOfWord('incident', 'Triaged'), 'triaged', "an incident takes the vulnerability word as a synonym, any case");
  t.equal(stateOfWord('vulnerability', 'investigating'), null, "a vulnerability does not take an incident's word");
  t.equal(stateOfWord('incident', 'pwned'), null);
});

t.test('X-KIND', async (t) => {
  const d = rec();
  t.match(setKind(d, 'Incident'), { ok: true, note: /the case is an incident, reported/ });
  t.equal(d.kind, 'incident');
  t.match(setKind(d, 'incident'), { ok: true, note: 'the case is already an incident' });
  t.same(setKind(d, 'breach'), { ok: false, reason: 'unknown kind "breach"; kinds are vulnerability, incident' });
  t.match(setKind(rec({ stakeholders: ['distros'] }), 'incident'), { ok: true, note: /to tell distros now, send X-NOTIFY/ }, 'named stakeholders are not told by X-KIND alone');
  t.match(setKind(rec({ state: 'published' }), 'incident'), { ok: false, reason: /already published: its kind cannot change/ });
  const back = rec({ kind: 'incident', state: 'accepted' });
  t.match(setKind(back, 'vulnerability'), { ok: true, note: 'the case is a vulnerability, accepted' });
  t.equal(handlers.KIND, setKind, 'X-KIND is a case keyword');
});

t.test("X-STATE with an incident's words", async (t) => {
  const d = rec({ kind: 'incident' });
  t.same(handlers.STATE!(d, 'investigating', env), { ok: true, note: 'state is investigating' });
  t.equal(d.state, 'triaged', 'stored as the lifecycle state the planner knows');
  t.same(handlers.STATE!(d, 'accepted', env), { ok: true, note: 'state is contained' }, 'a synonym is answered with the incident word');
  t.match(handlers.STATE!(d, 'scheduled', env), { ok: false, reason: /state scheduled cannot be set with X-STATE/ });
  t.same(handlers.STATE!(d, 'bogus', env), { ok: false, reason: 'unknown state "bogus"; incident states are: reported, investigating, contained, scheduled, disclosed, closed, rejected, duplicate' });
  t.match(handlers.STATE!(rec({ kind: 'incident', state: 'closed' }), 'reported', env), { ok: false, reason: 'cannot go from closed to reported; allowed from closed: contained' }, 'reasons in incident words');
  t.match(handlers.STATE!(rec(), 'investigating', env), { ok: false, reason: /unknown state "investigating"; states are: new, triaged/ }, "a vulnerability refuses an incident's word");
});

t.test("an incident's X-NOTIFY tells the named stakeholders now, with the comment", async (t) => {
  const lines = [line('CASE', 'SEC-2026-0001'), line('NOTIFY', 'Distros')];
  const inc = rec({ kind: 'incident', stakeholders: ['distros', 'vendors'] });
  t.same(incidentNotice(inc, lines, 'Releases 1.2.3 and 1.2.4 were signed with the stolen key.'), { ok: true, stakeholders: ['distros'] }, 'only those the message names');
  t.same(incidentNotice(inc, lines, '  '), {
    ok: false,
    line: 'X-NOTIFY: Distros',
    reason: "an incident's notice goes out now and its text is this message's comment: write what happened and what downstreams should do below the keyword lines",
  });
  t.same(incidentNotice(rec({ stakeholders: ['distros'] }), lines, 'text'), { ok: true, stakeholders: [] }, "a vulnerability's X-NOTIFY plans the usual pre-disclosure");
  t.same(incidentNotice(inc, [line('STATE', 'contained')], ''), { ok: true, stakeholders: [] }, 'no X-NOTIFY, no notice');
});

t.test('the digest names open incidents in their words', async (t) => {
  const now = new Date('2026-12-10T08:00:00Z');
  const items = digestItems({
    now,
    maxEmbargoDays: 60,
    cases: [
      { id: 'SEC-2026-0001', state: 'new', kind: 'incident', createdAt: new Date('2026-12-09T00:00:00Z'), embargo: null },
      { id: 'SEC-2026-0002', state: 'triaged', kind: 'incident', createdAt: new Date('2026-12-01T00:00:00Z'), embargo: new Date('2026-12-11T15:00:00Z') },
      { id: 'SEC-2026-0003', state: 'new', kind: 'vulnerability', createdAt: new Date('2026-12-01T00:00:00Z'), embargo: null },
      { id: 'SEC-2026-0004', state: 'closed', kind: 'incident', createdAt: new Date('2026-12-01T00:00:00Z'), embargo: null },
    ],
    failedDeliveries: [],
    keys: [],
  });
  t.same(items, [
    'SEC-2026-0001 (incident): open incident, reported: investigate it',
    'SEC-2026-0002 (incident): open incident, investigating',
    'SEC-2026-0002 (incident): public notice due 2026-12-11 15:00 UTC',
    'SEC-2026-0003: still new after 9 days: triage it',
  ]);
});
