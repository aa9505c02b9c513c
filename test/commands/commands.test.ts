// Issue 4: coordinators steer cases by signed email commands; every rule refuses what it must.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { pgpMime, textPart } from '../helpers/mails.js';
import { readAs, resend, sendCommand, commandMail } from '../helpers/commands.js';
import { startTestVmtd, type TestVmtd } from '../helpers/vmtd.js';
import { caseList, caseView, type CaseView } from '../../src/store/case-view.js';

let v: TestVmtd;
let caseId: string;
let otherCase: string;
const inDays = (n: number, hhmm = '14:00'): string => `${new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10)} ${hhmm} UTC`;
const view = (id = caseId): CaseView => caseView(v.daemon.ctx.db, v.daemon.ctx.sealer, id)!;
// The case as commands change it: its history (messages, events) grows with every refusal too.
const stable = (c: CaseView) => ({ ...c, messages: undefined, events: undefined });

async function report(subject: string): Promise<string> {
  const raw = pgpMime({ from: 'rita@reporter.example', to: 'security@example.org', subject, extra: [`Autocrypt: addr=rita@reporter.example; keydata=${v.gpg('rita').run(['--export', 'rita@reporter.example']).stdout.toString('base64')}`] }, v.gpg('rita').encrypt(textPart('Project: libfoo\n\nthe bug'), [v.daemon.ctx.team.fingerprint]));
  await v.send(raw, { from: 'rita@reporter.example', to: ['security@example.org'] });
  await v.settle();
  v.take();
  return caseList(v.daemon.ctx.db, v.daemon.ctx.sealer).at(-1)!.id;
}

t.before(async () => {
  // Many answers go to alice here; the per-sender answer limit is tested on its own elsewhere.
  v = await startTestVmtd({ extraConfig: 'policy: { ackPerSenderPerHour: 1000 }' });
  caseId = await report('first');
  otherCase = await report('second');
});
t.teardown(() => v.stop());

t.test('a coordinator steers a case with PGP/MIME signed+encrypted commands; members get the event lines and comment', async (t) => {
  const r = await sendCommand(
    v,
    'alice',
    caseId,
    `X-CASE: ${caseId}\nX-STATE: triaged\nX-CLASS: B1\nX-ADD-EXPERT: Carol Expert <carol@libfoo.example>\nX-EMBARGO: ${inDays(20)}\n\nCarol maintains the parser; she can confirm the fix.`,
    { attachKeys: ['carol'] },
  );
  t.equal(r.code, 250);
  t.match(r.answer, /X-STATE: triaged\s+OK/);
  t.match(r.answer, /X-ADD-EXPERT: Carol Expert <carol@libfoo\.example>\s+OK/);
  t.notMatch(r.answer, /FAILED/);
  const c = view();
  t.equal(c.state, 'triaged');
  t.equal(c.class, 'B1');
  t.ok(c.embargo?.startsWith(inDays(20).slice(0, 10)));
  t.match(c.members.find((m) => m.email === 'carol@libfoo.example'), { role: 'expert', fingerprint: v.gpg('carol').fingerprint('carol@libfoo.example') });
  const toCarol = r.out.find((d) => d.to === 'carol@libfoo.example');
  t.ok(toCarol, 'the new expert receives the case traffic');
  const text = readAs(v, 'carol', toCarol!);
  t.match(text, 'alice@example.org sent X-STATE: triaged');
  t.match(text, 'Carol maintains the parser');
  t.ok(r.out.some((d) => d.to === 'rita@reporter.example') && r.out.some((d) => d.to === 'bob@example.org'), 'the other members get the update');
  // The signer gets the answer and (X-EMBARGO) the embargo's calendar event, never a relay copy.
  const toAlice = r.out.filter((d) => d.to === 'alice@example.org').map((d) => readAs(v, 'alice', d));
  t.equal(toAlice.length, 2, 'the signer gets the answer and the calendar event only');
  t.equal(toAlice.filter((x) => x.includes('Results of your commands')).length, 1);
  t.equal(toAlice.filter((x) => x.includes('text/calendar; charset=utf-8; method=REQUEST')).length, 1);
});

t.test('inline clear-signed commands work too', async (t) => {
  const r = await sendCommand(v, 'bob', caseId, `X-CASE: ${caseId}\nX-SEVERITY: high\nX-CVE: CVE-2026-1234 CVE-2026-1235\n`, { mode: 'clearsign' });
  t.notMatch(r.answer, /FAILED/);
  t.equal(view().severity, 'high');
  t.same(view().cves, ['CVE-2026-1234', 'CVE-2026-1235']);
});

t.test('the rest of the keywords', async (t) => {
  let r = await sendCommand(v, 'alice', caseId, `X-CASE: ${caseId}\nX-ADD-PROJECT: libfoo\nX-NOTIFY: distros\nX-TITLE: Heap overflow in libfoo's parser\nX-CREDIT: COORDINATOR: Alice from Example\nX-STATUS`);
  t.notMatch(r.answer, /FAILED/);
  t.match(r.answer, /Notify:\s+distros/, 'X-STATUS answers with the status');
  t.equal(view().title, "Heap overflow in libfoo's parser");
  t.same(view().stakeholders.map((s) => s.id), ['distros']);

  r = await sendCommand(v, 'maint', caseId, `X-CASE: ${caseId}\nX-PROJECT-STATUS: libfoo affected`);
  t.notMatch(r.answer, /FAILED/, 'a project contact states the status of their project');
  t.same(view().projects, [{ id: 'libfoo', status: 'affected' }]);

  r = await sendCommand(v, 'rita', caseId, `X-CASE: ${caseId}\nX-CREDIT: Rita Reporter from Reporter Labs`);
  t.notMatch(r.answer, /FAILED/, 'the reporter sets their own credit');

  r = await sendCommand(v, 'alice', caseId, `X-CASE: ${caseId}\nX-REMOVE-EXPERT: carol@libfoo.example\nX-STATE: accepted`);
  t.notMatch(r.answer, /FAILED/);
  t.notOk(view().members.some((m) => m.email === 'carol@libfoo.example'));
  t.equal(view().state, 'accepted');

  const yaml = readFileSync(new URL('../fixtures/advisories/minimal.yaml', import.meta.url), 'utf8');
  // the case is class B1 and the YAML class A: the two must agree (issue 18), so the class moves with it
  r = await sendCommand(v, 'alice', caseId, `X-CASE: ${caseId}\nX-CLASS: A\nX-ADVISORY`, { files: { 'advisory.yaml': yaml } });
  t.notMatch(r.answer, /FAILED/);
  t.match(view().advisory, { state: 'draft', revision: 1 });
  const preview = r.out.find((d) => d.to === 'bob@example.org');
  t.match(preview && readAs(v, 'bob', preview), 'libfoo heap overflow in the header parser', 'the rendered preview goes to the case');
  r = await sendCommand(v, 'alice', caseId, `X-CASE: ${caseId}\nX-ADVISORY`, { files: { 'advisory.yaml': yaml.replace(/cve-id: CVE-2026-10001/, 'cve-id: CVE-26-1') } });
  t.match(r.answer, /vulnerabilities\[0\]\.cve-id \(line \d+\)/, 'an invalid advisory is refused naming the field and line');
  r = await sendCommand(v, 'alice', caseId, `X-CASE: ${caseId}\nX-APPROVE`);
  t.notMatch(r.answer, /FAILED/);
  t.match(view(), { advisory: { state: 'approved' }, state: 'scheduled' }, 'embargo set + advisory approved: scheduled');

  r = await sendCommand(v, 'alice', otherCase, `X-CASE: ${otherCase}\nX-MERGE: ${caseId}`);
  t.notMatch(r.answer, /FAILED/);
  t.match(view(otherCase), { state: 'duplicate', mergedInto: caseId });
  const merged = r.out.filter((d) => d.to === 'rita@reporter.example').map((d) => readAs(v, 'rita', d));
  t.ok(merged.some((x) => x.includes(`Your report ${otherCase} was merged into ${caseId}`) && x.includes('You are already a member')), 'a reporter already in the target is told too');
  r = await sendCommand(v, 'alice', otherCase, `X-CASE: ${otherCase}\nX-REOPEN`);
  t.notMatch(r.answer, /FAILED/);
  t.equal(view(otherCase).state, 'accepted');
  r = await sendCommand(v, 'alice', otherCase, `X-CASE: ${otherCase}\nX-EMBARGO: ${inDays(120)}\nX-EMBARGO-OVERRIDE: vendor needs a long fix cycle`);
  t.notMatch(r.answer, /FAILED/, 'an override allows an embargo beyond the policy');
  r = await sendCommand(v, 'alice', otherCase, `X-CASE: ${otherCase}\nX-LEAKED: posted on a forum\nX-EMBARGO: none\nX-PUBLISH`);
  t.notMatch(r.answer, /FAILED/);
  t.equal(view(otherCase).state, 'published');
});

t.test('team commands: X-HELP, X-LIST-CASES, X-OPEN', async (t) => {
  let r = await sendCommand(v, 'alice', null, 'X-HELP\nX-LIST-CASES');
  t.match(r.answer, 'X-ADD-EXPERT');
  t.match(r.answer, caseId);
  const before = caseList(v.daemon.ctx.db, v.daemon.ctx.sealer).length;
  r = await sendCommand(v, 'alice', null, 'X-OPEN: Found in audit\n\nThe audit found a use after free.');
  const list = caseList(v.daemon.ctx.db, v.daemon.ctx.sealer);
  t.equal(list.length, before + 1);
  t.equal(list.at(-1)!.title, 'Found in audit');
  t.match(r.answer, list.at(-1)!.id);
  t.ok(r.out.some((d) => d.to === 'bob@example.org' && readAs(v, 'bob', d).includes('use after free')), 'the report reaches the other coordinator');
  r = await sendCommand(v, 'rita', null, 'X-LIST-CASES');
  t.match(r.answer, 'only coordinators');
  t.notMatch(r.answer, caseId, 'a refusal reveals no case');
});

t.test('refusals leave the case unchanged', async (t) => {
  const refusals: Array<[string, () => Promise<{ answer: string; out: unknown[] }>, RegExp]> = [
    [
      'unsigned',
      async () => {
        const raw = pgpMime({ from: 'alice@example.org', to: `security+${caseId.toLowerCase()}@example.org`, subject: 'x' }, v.gpg('alice').encrypt(textPart(`X-CASE: ${caseId}\nX-STATE: rejected`), [v.daemon.ctx.team.fingerprint], { sign: false }));
        return resend(v, 'alice', raw, `security+${caseId.toLowerCase()}@example.org`, 'alice@example.org');
      },
      /must be signed/,
    ],
    ['unknown key', () => sendCommand(v, 'mallory', caseId, `X-CASE: ${caseId}\nX-STATE: rejected`, { mode: 'clearsign' }), /must be signed with a key known/],
    ['non-coordinator', () => sendCommand(v, 'maint', caseId, `X-CASE: ${caseId}\nX-STATE: rejected`), /may not use X-STATE/],
    ['From not matching the key', () => sendCommand(v, 'alice', caseId, `X-CASE: ${caseId}\nX-STATE: rejected`, { from: 'bob@example.org' }), /not a self-certified user ID of the signing key/],
    ['wrong X-CASE', () => sendCommand(v, 'alice', caseId, `X-CASE: ${otherCase}\nX-STATE: rejected`), /does not match/],
    ['missing X-CASE', () => sendCommand(v, 'alice', caseId, 'X-STATE: rejected'), /must start with X-CASE/],
    [
      'stale signature',
      () => sendCommand(v, 'alice', caseId, `X-CASE: ${caseId}\nX-STATE: rejected`, { mode: 'clearsign', gpgExtra: ['--faked-system-time', gpgTime(-4 * 86_400_000)] }),
      /older than 72 hours/,
    ],
    ['future signature', () => sendCommand(v, 'alice', caseId, `X-CASE: ${caseId}\nX-STATE: rejected`, { mode: 'clearsign', gpgExtra: ['--faked-system-time', gpgTime(86_400_000)] }), /in the future/],
    ['embargo in the past', () => sendCommand(v, 'alice', caseId, `X-CASE: ${caseId}\nX-STATE: rejected\nX-EMBARGO: 2020-01-01 15:00 UTC`), /X-EMBARGO: 2020-01-01 15:00 UTC\s+FAILED: .*in the past/],
    ['embargo beyond policy', () => sendCommand(v, 'alice', caseId, `X-CASE: ${caseId}\nX-EMBARGO: ${inDays(120)}`), /beyond the policy maximum of 60 days/],
    ['invalid date', () => sendCommand(v, 'alice', caseId, `X-CASE: ${caseId}\nX-EMBARGO: 2026-02-30`), /not a valid date/],
    ['illegal transition', () => sendCommand(v, 'alice', caseId, `X-CASE: ${caseId}\nX-STATE: new`), /cannot go from scheduled to new; allowed from scheduled: accepted, published/],
    ['unknown keyword', () => sendCommand(v, 'alice', caseId, `X-CASE: ${caseId}\nX-FROBNICATE: yes`), /unknown keyword X-FROBNICATE/],
  ];
  for (const [name, send, expect] of refusals) {
    const before = stable(view());
    const r = await send();
    t.match(r.answer, expect, `${name}: the answer says why`);
    t.same(stable(view()), before, `${name}: case unchanged`);
  }
});

t.test('a replayed signature is refused', async (t) => {
  const mail = commandMail(v, 'alice', caseId, `X-CASE: ${caseId}\nX-SEVERITY: low`);
  const first = await resend(v, 'alice', mail.raw, mail.to, mail.from);
  t.notMatch(first.answer, /FAILED|refused/);
  t.equal(view().severity, 'low');
  await sendCommand(v, 'alice', caseId, `X-CASE: ${caseId}\nX-SEVERITY: high`);
  const again = await resend(v, 'alice', mail.raw, mail.to, mail.from);
  t.match(again.answer, /already received once/);
  t.equal(view().severity, 'high', 'the replay changed nothing');
});

t.test('"Johnny, you are fired": commands in an unsigned part next to a signed part do not run', async (t) => {
  const signed = v.gpg('alice').clearsign('Hello, just a note.');
  const raw = Buffer.from(
    [
      'From: alice@example.org',
      `To: security+${caseId.toLowerCase()}@example.org`,
      'Subject: note',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="J"',
      '',
      '--J',
      'Content-Type: text/plain',
      '',
      `X-CASE: ${caseId}`,
      'X-STATE: rejected',
      '--J',
      'Content-Type: text/plain',
      '',
      signed,
      '--J--',
      '',
    ].join('\r\n'),
  );
  const before = stable(view());
  const r = await resend(v, 'alice', raw, `security+${caseId.toLowerCase()}@example.org`, 'alice@example.org');
  t.match(r.answer, /must be signed/);
  t.same(stable(view()), before);
});

function gpgTime(offsetMs: number): string {
  return new Date(Date.now() + offsetMs).toISOString().replace(/[-:]/g, '').slice(0, 15);
}
