// Issue 15: X-MERGE carries the duplicate's reporter into the target case (member, credit, told),
// and the patches of X-ADVISORY reach the members who review them, with the preview. By email
// through the SMTP server, each recipient's copy decrypted with gpg as that recipient.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { pgpMime, textPart } from './helpers/mails.js';
import { readAs, sendCommand } from './helpers/commands.js';
import { emailOf, type Person } from './helpers/gpg.js';
import { startTestVmtd, type Delivered, type TestVmtd } from './helpers/vmtd.js';
import { caseList, caseView } from '../src/store/case-view.js';
import { childrenOf, decodedBody, header, parseEntity, type Entity } from '../src/mail/entity.js';

let v: TestVmtd;

async function report(who: Person, name: string, text: string): Promise<{ id: string; out: Delivered[] }> {
  const g = v.gpg(who);
  const from = emailOf[who];
  const autocrypt = `Autocrypt: addr=${from}; keydata=${g.run(['--export', from]).stdout.toString('base64')}`;
  const raw = pgpMime({ from: `${name} <${from}>`, to: 'security@example.org', subject: `report by ${who}`, extra: [autocrypt] }, g.encrypt(textPart(`Project: libfoo\n\n${text}`), [v.daemon.ctx.team.fingerprint]));
  await v.send(raw, { from, to: ['security@example.org'] });
  await v.settle();
  return { id: caseList(v.daemon.ctx.db, v.daemon.ctx.sealer).at(-1)!.id, out: v.take() };
}

/** Every leaf part of a decrypted MIME message. */
function leaves(e: Entity): Entity[] {
  const kids = childrenOf(e);
  return kids ? kids.flatMap(leaves) : [e];
}

const to = (out: Delivered[], who: Person): Delivered[] => out.filter((d) => d.to === emailOf[who]);

t.before(async () => {
  v = await startTestVmtd({ extraConfig: 'policy: { ackPerSenderPerHour: 1000 }' });
});
t.teardown(() => v.stop());

t.test('X-MERGE: the duplicate\'s reporter joins the target with their key and credit, is told, and gets its next relay', async (t) => {
  const a = await report('rita', 'Rita Reporter', 'overflow in the parser');
  const b = await report('ron', 'Ron Reporter', 'the same overflow, found by fuzzing');
  const ronKey = v.gpg('ron').fingerprint(emailOf.ron);

  const r = await sendCommand(v, 'alice', b.id, `X-CASE: ${b.id}\nX-MERGE: ${a.id}`);
  t.match(r.answer, /X-MERGE: \S+\s+OK: marked as a duplicate/);
  const target = caseView(v.daemon.ctx.db, v.daemon.ctx.sealer, a.id)!;
  t.match(target.members.find((m) => m.email === emailOf.ron), { role: 'reporter', fingerprint: ronKey, pinned: true }, 'ron is a reporter of the target, his pinned key carried over');
  t.same(target.credits, [{ name: 'Ron Reporter', type: 'REPORTER', by: emailOf.ron }], 'credited under the name he gave, never his address');

  const answers = to(r.out, 'ron').map((d) => readAs(v, 'ron', d));
  const told = answers.find((x) => x.includes('was merged into'));
  t.ok(told, 'the duplicate\'s reporter gets the merge answer, encrypted to his key');
  t.match(told, `Your report ${b.id} was merged into ${a.id}`);
  t.match(told, 'You will receive its updates');
  t.match(told, 'credited in');

  const toBob = to(r.out, 'bob').map((d) => readAs(v, 'bob', d)).find((x) => x.includes('merged'));
  t.match(toBob, `merged ${b.id} into this case`, 'the target\'s coordinators are told');
  t.match(toBob, emailOf.ron);
  const toRita = to(r.out, 'rita').map((d) => readAs(v, 'rita', d)).find((x) => x.includes(`${b.id}, a report of the same issue`));
  t.ok(toRita, 'the target\'s reporter is told a report joined');
  t.notMatch(toRita, emailOf.ron, 'but not who sent it');

  // The target's next message reaches ron.
  const next = await sendCommand(v, 'bob', a.id, `X-CASE: ${a.id}\nX-SEVERITY: high\n\nRon's report confirms the crash.`);
  const relay = to(next.out, 'ron').map((d) => readAs(v, 'ron', d));
  t.equal(relay.length, 1, 'one relay of the target\'s traffic to ron');
  t.match(relay[0], "Ron's report confirms the crash.");
});

t.test('X-ADVISORY with patches: every member receives the preview and the patches, encrypted', async (t) => {
  const c = await report('rita', 'Rita Reporter', 'use after free in libfoo');
  const yaml = readFileSync(new URL('./fixtures/advisories/minimal.yaml', import.meta.url), 'utf8');
  const patch = 'diff --git a/parse.c b/parse.c\n--- a/parse.c\n+++ b/parse.c\n@@ -1 +1 @@\n-len = n;\n+len = n < max ? n : max;\n';
  const r = await sendCommand(v, 'alice', c.id, `X-CASE: ${c.id}\nX-ADVISORY`, { files: { 'advisory.yaml': yaml, 'fix-overflow.patch': patch } });
  t.match(r.answer, /OK: stored as revision 1 with patches fix-overflow\.patch/);
  for (const who of ['maint', 'bob', 'rita'] as const) {
    const mails = to(r.out, who);
    t.equal(mails.length, 1, `${who} gets one relay`);
    const text = readAs(v, who, mails[0]!);
    const parts = leaves(parseEntity(Buffer.from(text)));
    const file = parts.find((p) => /fix-overflow\.patch/.test(header(p.headers, 'content-disposition') ?? ''));
    t.ok(file, `${who}'s copy carries the patch`);
    t.equal(file && decodedBody(file).toString(), patch, 'byte for byte');
    t.match(file && header(file.headers, 'content-type'), /^text\/x-diff/);
    t.match(text, 'Patches for review, attached: fix-overflow.patch');
    t.match(text, 'libfoo heap overflow in the header parser', 'with the rendered preview');
  }
});
