// Issue 15: the embargo in everyone's calendar (iCalendar by encrypted mail, parsed back by ical.js),
// the digest's facts (late failures, pending vs cancelled notices, stakeholders' keys), and
// `vmtd case show --json`. By email through the SMTP server; each copy decrypted with gpg as its recipient.
import t, { type Test } from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ICAL from 'ical.js';
import * as openpgp from 'openpgp';
import { dsn, pgpMime, textPart } from './helpers/mails.js';
import { sendCommand } from './helpers/commands.js';
import { vmtd } from './helpers/child.js';
import { emailOf, type Person } from './helpers/gpg.js';
import { encryptedPayload, startTestVmtd, type Delivered, type TestVmtd } from './helpers/vmtd.js';
import { caseList, caseView } from '../src/store/case-view.js';
import { childrenOf, decodedBody, header, parseEntity, type Entity } from '../src/mail/entity.js';
import { runPlanner } from '../src/jobs/run-planner.js';

const MIN = 60_000;
const DAY = 86_400_000;
const DISTROS = 'linux-distros@vs.openwall.example';
let v: TestVmtd;

const fixture = readFileSync(new URL('./fixtures/advisories/minimal.yaml', import.meta.url), 'utf8');
const embargoText = (d: Date): string => d.toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
const wholeMinute = (ms: number): Date => new Date(Math.ceil(ms / MIN) * MIN);

async function openCase(subject: string): Promise<string> {
  const g = v.gpg('rita');
  const autocrypt = `Autocrypt: addr=rita@reporter.example; keydata=${g.run(['--export', 'rita@reporter.example']).stdout.toString('base64')}`;
  const raw = pgpMime({ from: 'rita@reporter.example', to: 'security@example.org', subject, extra: [autocrypt] }, g.encrypt(textPart('Project: libfoo\n\ndetails'), [v.daemon.ctx.team.fingerprint]));
  await v.send(raw, { from: 'rita@reporter.example', to: ['security@example.org'] });
  await v.settle();
  v.take();
  return caseList(v.daemon.ctx.db, v.daemon.ctx.sealer).at(-1)!.id;
}

function leaves(e: Entity): Entity[] {
  const kids = childrenOf(e);
  return kids ? kids.flatMap(leaves) : [e];
}

/** The calendar parts `who` finds in their mails, decrypted with gpg (which must succeed and verify the team). */
function calendars(t: Test, out: Delivered[], who: Person): Array<{ type: string; ics: string }> {
  const found: Array<{ type: string; ics: string }> = [];
  for (const d of out.filter((x) => x.to === emailOf[who])) {
    const r = v.gpg(who).decrypt(encryptedPayload(d.raw));
    t.equal(r.code, 0, `gpg as ${who} decrypts`);
    t.match(r.status, `VALIDSIG ${v.daemon.ctx.team.fingerprint}`);
    for (const p of leaves(parseEntity(r.stdout))) {
      if (p.type === 'text/calendar') found.push({ type: header(p.headers, 'content-type') ?? '', ics: decodedBody(p).toString('utf8') });
    }
  }
  return found;
}

/** Parses an iCalendar text with ical.js after checking its wire form: CRLF only, no line over 75 octets. */
function event(t: Test, ics: string): { method: string; uid: string; sequence: number; start: Date; status: string; summary: string; attendee: string } {
  t.notOk(/[^\r]\n/.test(ics) || /\r(?!\n)/.test(ics), 'every line ends in CRLF');
  const physical = ics.split('\r\n');
  t.ok(physical.every((l) => Buffer.byteLength(l) <= 75), 'no line longer than 75 octets');
  t.ok(physical.some((l) => l.startsWith(' ')), 'long lines are folded');
  const cal = new ICAL.Component(ICAL.parse(ics));
  const ev = cal.getFirstSubcomponent('vevent')!;
  const dtstart = ev.getFirstPropertyValue('dtstart') as ICAL.Time;
  return {
    method: String(cal.getFirstPropertyValue('method')),
    uid: String(ev.getFirstPropertyValue('uid')),
    sequence: Number(ev.getFirstPropertyValue('sequence')),
    start: dtstart.toJSDate(),
    status: String(ev.getFirstPropertyValue('status')),
    summary: String(ev.getFirstPropertyValue('summary')),
    attendee: String(ev.getFirstPropertyValue('attendee')),
  };
}

t.before(async () => {
  v = await startTestVmtd({ now: new Date(), extraConfig: 'policy: { ackPerSenderPerHour: 1000 }\nschedule: { digest: "0 0 29 2 *" }' });
});
t.teardown(() => v.stop());

let calendarCase = '';

t.test('the embargo as an iCalendar event: set, moved (SEQUENCE + 1), cancelled at disclosure; stakeholders get it in their notices', async (t) => {
  const id = (calendarCase = await openCase('calendar'));
  const first = wholeMinute(v.clock.now.getTime() + 5 * DAY);
  const r = await sendCommand(v, 'alice', id, [`X-CASE: ${id}`, 'X-STATE: accepted', `X-EMBARGO: ${embargoText(first)}`, 'X-NOTIFY: distros', 'X-ADVISORY', 'X-APPROVE'].join('\n'), {
    files: { 'advisory.yaml': fixture.replace('SEC-2026-0007', 'SEC-2026-0501') },
  });
  t.notMatch(r.answer, /FAILED/);
  for (const who of ['alice', 'bob', 'maint'] as const) {
    const cals = calendars(t, r.out, who);
    t.equal(cals.length, 1, `${who} gets one calendar event`);
    t.match(cals[0]!.type, /^text\/calendar; charset=utf-8; method=REQUEST/);
    const e = event(t, cals[0]!.ics);
    t.match(e, { method: 'REQUEST', uid: `${id}@example.org`, sequence: 0, status: 'CONFIRMED', attendee: `mailto:${emailOf[who]}` }, `${who}: one UID per case, SEQUENCE 0`);
    t.equal(e.start.toISOString(), first.toISOString(), 'at the embargo');
    t.notMatch(cals[0]!.ics, /heap overflow/i, 'no case details in the calendar');
  }
  t.same(calendars(t, r.out, 'rita'), [], 'the reporter gets no calendar event');
  const pre = calendars(t, r.out, 'distros');
  t.equal(pre.length, 1, 'the pre-disclosure notice carries the event');
  t.match(event(t, pre[0]!.ics), { method: 'REQUEST', uid: `${id}@example.org`, sequence: 0 });

  const moved = wholeMinute(first.getTime() + DAY);
  const m = await sendCommand(v, 'alice', id, `X-CASE: ${id}\nX-EMBARGO: ${embargoText(moved)}\nX-EMBARGO-OVERRIDE: vendor release train\nX-CREDIT: COORDINATOR: Alice from Example`);
  t.notMatch(m.answer, /FAILED/);
  for (const who of ['bob', 'maint', 'distros'] as const) {
    const cals = calendars(t, m.out, who);
    t.equal(cals.length, 1, `${who} gets the moved event`);
    const e = event(t, cals[0]!.ics);
    t.match(e, { method: 'REQUEST', uid: `${id}@example.org`, sequence: 1 }, `${who}: SEQUENCE 1 when the embargo moves`);
    t.equal(e.start.toISOString(), moved.toISOString());
  }
  const same = await sendCommand(v, 'alice', id, `X-CASE: ${id}\nX-SEVERITY: high\nX-ADD-EXPERT: carol@libfoo.example`, { attachKeys: ['carol'] });
  t.notMatch(same.answer, /FAILED/);
  t.same(calendars(t, same.out, 'bob'), [], 'a change that keeps the date sends no event');
  const joined = calendars(t, same.out, 'carol');
  t.equal(joined.length, 1, 'an expert added later gets the standing event');
  t.match(event(t, joined[0]!.ics), { method: 'REQUEST', sequence: 1 }, 'as it stands: same SEQUENCE');

  // Disclosure at the embargo (the planner publishes): the members' event is cancelled.
  v.clock.now = new Date(moved.getTime() + MIN);
  await v.settle();
  const out = v.take();
  t.ok(out.some((d) => d.to === 'oss-security@lists.openwall.example'), 'published');
  for (const who of ['alice', 'bob', 'maint', 'carol'] as const) {
    const cals = calendars(t, out, who);
    t.equal(cals.length, 1, `${who} gets the cancel`);
    t.match(cals[0]!.type, /method=CANCEL/);
    t.match(event(t, cals[0]!.ics), { method: 'CANCEL', status: 'CANCELLED', uid: `${id}@example.org`, sequence: 2 });
  }
  await v.settle();
  t.same(v.take().filter((d) => d.to === 'bob@example.org'), [], 'the cancel is sent once');
});

t.test('vmtd case show --json: credits, override, notices with their state, revisions, events', async (t) => {
  const r = vmtd(['case', 'show', calendarCase, '--json', '--config', join(v.dir, 'vmtd.yaml')]);
  t.equal(r.code, 0, r.stderr);
  const c = JSON.parse(r.stdout) as Record<string, unknown> & { notices: Array<Record<string, unknown>>; events: Array<{ kind: string }> };
  t.match(c, {
    state: 'published',
    embargoOverride: 'vendor release train',
    leakedAt: null,
    credits: [{ name: 'Alice from Example', type: 'COORDINATOR', by: 'alice@example.org' }],
    revisions: [{ revision: 1, state: 'published', approvedBy: 'alice@example.org' }],
    stakeholders: [{ id: 'distros', state: 'sent' }],
  });
  t.match(c.notices.find((n) => n.kind === 'pre-disclosure'), { stakeholder: 'distros', state: 'sent' });
  t.match(c.notices.find((n) => n.kind === 'update'), { stakeholder: 'distros', state: 'sent', reason: /^\d{4}-\d\d-\d\dT\d\d:\d\dZ$/ });
  t.match(c.notices.find((n) => n.kind === 'publish'), { state: 'sent' });
  t.same(c.events.filter((e) => e.kind === 'calendar').length, 3, 'the calendar changes are events');
  const text = vmtd(['case', 'show', calendarCase, '--config', join(v.dir, 'vmtd.yaml')]).stdout;
  t.match(text, /override: vendor release train/);
  t.match(text, /advisory: r1 published by alice@example\.org/);
  t.match(text, /sent\s+pre-disclosure to distros/);
});

t.test('the digest: late failures, planned (not cancelled) notices, stakeholders\' keys expiring soon', async (t) => {
  // Back to the present: commands are signed now, and must be fresh for the daemon's clock.
  v.clock.now = new Date();
  const id = await openCase('digest');
  const start = v.clock.now;
  const planned = await sendCommand(v, 'alice', id, `X-CASE: ${id}\nX-EMBARGO: ${embargoText(wholeMinute(start.getTime() + 9 * DAY))}\nX-NOTIFY: distros`);
  t.notMatch(planned.answer, /FAILED/);
  // The relay of the command (maint also gets the calendar event, a notice).
  const relay = planned.out.find((d) => d.to === emailOf.maint && v.gpg('maint').decrypt(encryptedPayload(d.raw)).stdout.toString().includes('sent X-EMBARGO'))!;
  // Two days later the relay to maint bounces: queued long ago, failed now.
  v.clock.now = new Date(start.getTime() + 2 * DAY);
  t.equal((await v.send(dsn('failed', emailOf.maint), { from: '', to: [relay.returnPath.replace(/^<|>$/g, '')] })).code, 250);
  await v.settle();
  v.take();
  // distros' key now expires in ten days (a renewed key is due).
  const { publicKey } = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ email: DISTROS }], keyExpirationTime: 10 * 86_400, date: new Date(v.clock.now.getTime() - DAY), format: 'object' });
  await v.daemon.ctx.keyring.add([publicKey], 'import', v.clock.now.toISOString());
  const realDistros = v.daemon.ctx.people.get(DISTROS)!;
  v.daemon.ctx.people.set(DISTROS, publicKey.getFingerprint().toUpperCase());
  t.teardown(() => void v.daemon.ctx.people.set(DISTROS, realDistros));

  const digest = async (): Promise<string> => {
    await runPlanner(v.daemon.ctx, { digest: true });
    await v.settle();
    const texts = v.take().filter((x) => x.to === 'alice@example.org').map((x) => v.gpg('alice').decrypt(encryptedPayload(x.raw)).stdout.toString());
    return texts.find((x) => x.includes('Subject: vmtd digest')) ?? '';
  };
  const first = await digest();
  t.match(first, `${id}: relay to ${emailOf.maint} failed`, 'a failure two days after queueing shows');
  t.match(first, new RegExp(`${id}: pre-disclosure to distros due `), 'the planned notice shows');
  t.match(first, /key of stakeholder distros <linux-distros@vs\.openwall\.example> expires \d{4}-\d\d-\d\d/, 'the stakeholder key expiring soon shows');

  const lifted = await sendCommand(v, 'alice', id, `X-CASE: ${id}\nX-EMBARGO: none`);
  t.notMatch(lifted.answer, /FAILED/);
  v.clock.now = new Date(v.clock.now.getTime() + DAY + MIN);
  await v.settle();
  const row = v.daemon.ctx.db.prepare("SELECT state FROM notices WHERE key = ?").get(`pre:${id}:distros`) as { state: string };
  t.equal(row.state, 'cancelled');
  const second = await digest();
  t.notMatch(second, `pre-disclosure to distros`, 'a cancelled notice is not pending');
  t.notMatch(second, `relay to ${emailOf.maint} failed`, 'a failure is told on the day it happened');

  v.clock.now = new Date(); // the command is signed now: back to the present, for its freshness
  const leak = await sendCommand(v, 'alice', id, `X-CASE: ${id}\nX-LEAKED: posted on a forum`);
  t.notMatch(leak.answer, /FAILED/);
  t.match(caseView(v.daemon.ctx.db, v.daemon.ctx.sealer, id), { leakedAt: v.clock.now.toISOString().replace(/\.\d{3}Z$/, 'Z'), stakeholders: [{ id: 'distros', noticeAt: null, state: 'cancelled' }] }, 'case show: the leak time; the cancelled notice is not pending');
});
