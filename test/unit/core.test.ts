// The pure core, without gpg, SMTP or a database: each rule over many shapes (fast-check), in milliseconds.
import t from 'tap';
import fc from 'fast-check';
import { authenticate } from '../../src/commands/authorize.js';
import { isCommandMessage, parseCommands } from '../../src/commands/grammar.js';
import { parseExpert, mayUse, settleSchedule } from '../../src/commands/keywords.js';
import { embargoProblem, parseEmbargo } from '../../src/commands/embargo.js';
import { caseStates, isOpen, keywordTransition, transition } from '../../src/cases/lifecycle.js';
import { authenticatedSender, relayRecipients } from '../../src/cases/recipients.js';
import type { Member } from '../../src/cases/members.js';
import type { CaseRecord } from '../../src/cases/record.js';
import { untrustedText } from '../../src/compose/relay.js';
import { judgeReplay, openingLimit } from '../../src/intake/replay.js';
import { findCase } from '../../src/intake/route.js';
import { bounceProblem } from '../../src/outbound/bounce.js';
import { isVerpToken, parseRecipient, verpToken } from '../../src/mail/addresses.js';
import type { SignatureCheck } from '../../src/pgp/verify.js';

const now = new Date('2026-12-02T10:00:00Z');
const good = (over: Partial<SignatureCheck> = {}): SignatureCheck => ({ state: 'good', signer: 'A'.repeat(40), signedAt: new Date(now.getTime() - 3600_000), digest: 'd', ...over });
const facts = { signerEmails: ['alice@example.org'], from: 'alice@example.org', alreadySeen: false, signerProblemNow: null };

t.test('authenticate: each rule refuses on its own, and only a fully good command passes', async (t) => {
  t.match(authenticate({ ...facts, check: good() }, now, 72, 300_000), { ok: true, signer: 'A'.repeat(40) });
  const cases: Array<[string, Parameters<typeof authenticate>[0], RegExp]> = [
    ['unsigned', { ...facts, check: { state: 'unsigned' } }, /must be signed/],
    ['bad', { ...facts, check: good({ state: 'bad' }) }, /must be signed/],
    ['unknown key', { ...facts, check: good({ state: 'unknown-key' }) }, /must be signed/],
    ['future', { ...facts, check: good({ signedAt: new Date(now.getTime() + 600_000) }) }, /future/],
    ['stale', { ...facts, check: good({ signedAt: new Date(now.getTime() - 73 * 3600_000) }) }, /older than 72 hours/],
    ['From not a user ID', { ...facts, from: 'mallory@evil.example', check: good() }, /not a self-certified user ID/],
    ['seen', { ...facts, alreadySeen: true, check: good() }, /already received once/],
    ['expired now', { ...facts, signerProblemNow: 'key has expired', check: good() }, /cannot sign now/],
  ];
  for (const [name, f, reason] of cases) t.match(authenticate(f, now, 72, 300_000), { ok: false, reason }, name);
  fc.assert(
    fc.property(fc.record({ seen: fc.boolean(), problem: fc.option(fc.string({ minLength: 1 })), fromOk: fc.boolean(), ageH: fc.integer({ min: -1, max: 100 }) }), (r) => {
      const a = authenticate({ signerEmails: ['alice@example.org'], from: r.fromOk ? 'alice@example.org' : 'eve@example.org', alreadySeen: r.seen, signerProblemNow: r.problem, check: good({ signedAt: new Date(now.getTime() - r.ageH * 3600_000) }) }, now, 72, 300_000);
      return a.ok === (!r.seen && !r.problem && r.fromOk && r.ageH >= 0 && r.ageH <= 72);
    }),
  );
});

t.test('replays: a payload belongs to its first case and sender', async (t) => {
  const s = (caseId: string | null, sender: string | null, spoolId = 1) => ({ digest: 'x', caseId, sender, spoolId });
  t.same(judgeReplay([], 'a@x', 'C1'), { kind: 'fresh' });
  t.same(judgeReplay([s('C1', 'a@x')], 'a@x', 'C1'), { kind: 'resend', caseId: 'C1' });
  t.same(judgeReplay([s('C1', 'a@x')], 'a@x', undefined), { kind: 'resend', caseId: 'C1' });
  t.same(judgeReplay([s('C1', 'a@x', 7)], 'm@x', 'C1'), { kind: 'replay', firstSpool: 7 });
  t.same(judgeReplay([s('C1', 'a@x', 7)], 'a@x', 'C2'), { kind: 'replay', firstSpool: 7 });
  fc.assert(
    fc.property(fc.array(fc.record({ caseId: fc.constantFrom('C1', 'C2', null), sender: fc.constantFrom('a@x', 'b@x'), spoolId: fc.nat() }), { minLength: 1, maxLength: 4 }), fc.constantFrom('a@x', 'b@x'), fc.constantFrom('C1', 'C2', undefined), (seen, sender, caseId) => {
      const v = judgeReplay(seen.map((x) => ({ ...x, digest: 'd' })), sender, caseId);
      // Never "fresh" once seen; a resend only ever to its own sender's own case.
      if (v.kind === 'fresh') return false;
      if (v.kind === 'resend') return seen.every((x) => x.sender === sender && x.caseId === v.caseId) && (caseId === undefined || caseId === v.caseId);
      return true;
    }),
  );
});

t.test('case-opening limits', async (t) => {
  t.equal(openingLimit({ bySender: 9, all: 0 }, { perSender: 10, all: 200 }, 'a@x'), null);
  t.match(openingLimit({ bySender: 10, all: 0 }, { perSender: 10, all: 200 }, 'a@x'), /more than 10 new cases from a@x/);
  t.match(openingLimit({ bySender: 0, all: 200 }, { perSender: 10, all: 200 }, 'a@x'), /more than 200 new cases in an hour/);
});

t.test('untrusted text can never start a line or hide one', async () => {
  fc.assert(
    fc.property(fc.string({ unit: fc.constantFrom('a', ' ', '\n', '\r', '\u2028', '\u2029', '\u0085', '\u200e', '\u202e', '\t', '\u0000', 'S', ':'), maxLength: 300 }), (s) => {
      const out = untrustedText(s);
      return !/[\r\n\u2028\u2029\u0085\u200e\u202e\u0000\t]/.test(out) && out.length <= 80;
    }),
  );
});

t.test('recipients: only an authenticated sender is left out', async (t) => {
  const m = (email: string, fp: string, pinned = true): Member => ({ email, name: null, role: 'coordinator', projectId: null, fingerprint: fp, pinned });
  const members = [m('alice@x', 'A'), m('bob@x', 'B'), m('rita@x', 'R', false)];
  t.equal(authenticatedSender(members, { state: 'good', signer: 'A' }, 'alice@x'), 'alice@x');
  t.equal(authenticatedSender(members, { state: 'unsigned' }, 'alice@x'), null, 'an unsigned From proves nothing');
  t.equal(authenticatedSender(members, { state: 'good', signer: 'B' }, 'alice@x'), null, "bob's key does not make alice the sender");
  t.equal(authenticatedSender(members, { state: 'good', signer: 'R' }, 'rita@x'), null, 'an unpinned key authenticates nobody');
  t.equal(relayRecipients(members, null, false).length, 3);
  t.same(relayRecipients(members, 'alice@x', false).map((x) => x.email), ['bob@x', 'rita@x']);
});

t.test('bounces count only with the token, for a sent row, naming its recipient', async (t) => {
  const f = { tokenValid: true, rowKnown: true, rowState: 'sent', failedRcpts: ['bob@x'], rcpt: 'bob@x' };
  t.equal(bounceProblem(f), null);
  t.match(bounceProblem({ ...f, tokenValid: false }), /token/);
  t.match(bounceProblem({ ...f, rowState: 'queued' }), /not handed over/);
  t.match(bounceProblem({ ...f, failedRcpts: [] }), /not a delivery status/);
  t.match(bounceProblem({ ...f, failedRcpts: ['eve@x'] }), /not the recipient/);
  const key = Buffer.alloc(32, 7);
  fc.assert(fc.property(fc.integer({ min: 1, max: 1e12 }), (id) => isVerpToken(key, id, verpToken(key, id)) && !isVerpToken(key, id + 1, verpToken(key, id)) && !isVerpToken(Buffer.alloc(32, 8), id, verpToken(key, id))));
  const i = { name: 'T', domain: 'example.org', intake: 'security', separator: '+', caseIdPrefix: 'SEC', dataDir: '', publicDir: '' };
  t.same(parseRecipient(i, `security-bounces+42-${verpToken(key, 42)}@example.org`), { kind: 'bounce', outboxId: 42, token: verpToken(key, 42) });
});

t.test('X-ADD-EXPERT arguments', async (t) => {
  const fp = '0123456789ABCDEF0123456789ABCDEF01234567';
  t.same(parseExpert('carol@libfoo.example'), { email: 'carol@libfoo.example', name: null, fingerprint: null });
  t.same(parseExpert(`Carol Expert <carol@libfoo.example> ${fp}`), { email: 'carol@libfoo.example', name: 'Carol Expert', fingerprint: fp });
  t.same(parseExpert(`carol@libfoo.example ${fp.toLowerCase().replace(/(.{4})/g, '$1 ').trim()}`).fingerprint, fp);
  t.equal(parseExpert('not an address').email, null);
});

t.test('lifecycle: every move is in the table, X-STATE reaches only its states', async (t) => {
  for (const from of caseStates) for (const to of caseStates) t.equal(transition(from, to).ok, transition(from, to).ok); // total
  t.ok(transition('new', 'triaged').ok);
  t.notOk(transition('published', 'new').ok);
  t.notOk(keywordTransition('accepted', 'published').ok, 'published is X-PUBLISH');
  t.notOk(keywordTransition('new', 'nonsense').ok);
  t.ok(isOpen('scheduled') && !isOpen('closed'));
  const rec = (over: Partial<CaseRecord>): CaseRecord => ({ id: 'C', state: 'accepted', class: null, severity: null, title: '', createdAt: '', embargo: null, embargoOverride: null, leakedAt: null, mergedInto: null, cves: [], projects: {}, members: [], credits: [], stakeholders: [], advisory: null, newAdvisoryYaml: null, newPatches: [], ...over });
  const r = rec({ embargo: '2027-01-01T15:00:00Z', advisory: { revision: 1, state: 'approved' } });
  settleSchedule(r);
  t.equal(r.state, 'scheduled');
  r.advisory = { revision: 2, state: 'draft' };
  settleSchedule(r);
  t.equal(r.state, 'accepted', 'a new draft takes it back');
  t.ok(mayUse('coordinator', 'PUBLISH') && !mayUse('expert', 'PUBLISH') && mayUse('reporter', 'CREDIT'));
});

t.test('embargo parsing and limits', async (t) => {
  t.match(parseEmbargo('2026-12-15 14:00 UTC', '15:00'), { ok: true, spec: { kind: 'at' } });
  t.match(parseEmbargo('2026-12-15', '15:00'), { ok: true, spec: { kind: 'at', at: new Date('2026-12-15T15:00:00Z') } });
  t.match(parseEmbargo('none', '15:00'), { ok: true, spec: { kind: 'none' } });
  t.match(parseEmbargo('next tuesday', '15:00'), { ok: false });
  t.match(embargoProblem(new Date('2027-06-01T15:00:00Z'), now, now, 90, false), /90/);
  t.equal(embargoProblem(new Date('2027-06-01T15:00:00Z'), now, now, 90, true), null, 'an override lifts the maximum');
});

t.test('routing and command grammar', async (t) => {
  const exists = (id: string) => ['SEC-2026-0001', 'SEC-2026-0002'].includes(id);
  t.equal(findCase({ recipients: [{ kind: 'case', caseId: 'SEC-2026-0002' }], subjectIds: ['SEC-2026-0001'], messageIds: [] }, exists, () => undefined), 'SEC-2026-0002', 'the case address wins');
  t.equal(findCase({ recipients: [], subjectIds: ['SEC-2026-0009', 'SEC-2026-0001'], messageIds: [] }, exists, () => undefined), 'SEC-2026-0001');
  t.equal(findCase({ recipients: [], subjectIds: [], messageIds: ['<a>'] }, exists, (m) => (m === '<a>' ? 'SEC-2026-0002' : undefined)), 'SEC-2026-0002');
  fc.assert(fc.property(fc.string(), (text) => {
    const p = parseCommands(text);
    return p.lines.every((l) => /^[A-Z][A-Z-]*$/.test(l.keyword));
  }));
  // Keywords are case-insensitive, prefix included: every casing of a line reads the same.
  const casings = fc.constantFrom('x-state: triaged', 'X-State: triaged', 'x-STATE: triaged', 'X-STATE: triaged');
  fc.assert(fc.property(casings, fc.constantFrom('', '\n', '\r\n\r\n'), (line, lead) => {
    const p = parseCommands(`${lead}${line}\nthanks`);
    return p.lines.length === 1 && p.lines[0]!.keyword === 'STATE' && p.lines[0]!.args === 'triaged' && p.comment === 'thanks';
  }));
  t.equal(isCommandMessage({ text: 'x-case: SEC-2026-0001\nx-state: triaged', signed: true, toIntake: false }), true, 'a lower-case x-case line binds a command message');
});
