// Trust, identity: a configured person is their configured fingerprint; key material from mail never
// takes over anyone, and a coordinator's X-ADD-EXPERT never picks a key only mail vouched for.
// Every attack goes through SMTP with gpg-made keys and mail; outcomes are read back with gpg.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as openpgp from 'openpgp';
import { emailOf, pubKey, type Gpg } from '../helpers/gpg.js';
import { pgpMime, plainMail, textPart, withAttachment } from '../helpers/mails.js';
import { readAs, sendCommand } from '../helpers/commands.js';
import { encryptedPayload, startTestVmtd, type TestVmtd } from '../helpers/vmtd.js';
import { caseList, caseView } from '../../src/store/case-view.js';

const SECRET = 'the embargoed detail of the heap overflow';
let v: TestVmtd;
const team = () => v.daemon.ctx.team.fingerprint;
const view = (id: string) => caseView(v.daemon.ctx.db, v.daemon.ctx.sealer, id)!;
const lastCase = () => caseList(v.daemon.ctx.db, v.daemon.ctx.sealer).at(-1)!.id;
let aliceFp: string;

/** A report by rita, encrypted to the team: returns the new case's ID. */
async function ritaReport(subject: string): Promise<string> {
  const raw = pgpMime({ from: emailOf.rita, to: 'security@example.org', subject }, v.gpg('rita').encrypt(textPart(`Project: libfoo\n\n${SECRET}`), [team()]));
  t.equal((await v.send(raw, { from: emailOf.rita, to: ['security@example.org'] })).code, 250);
  await v.settle();
  v.take();
  return lastCase();
}

/** Mails a key as an attachment, From whoever the attacker claims to be. */
async function mailKey(from: string, key: string, to = 'security@example.org'): Promise<void> {
  const entity = withAttachment('here is my key', 'key.asc', 'application/pgp-keys', Buffer.from(key));
  const raw = Buffer.concat([Buffer.from(`From: ${from}\r\nTo: ${to}\r\nSubject: my key\r\nMessage-ID: <${Math.random()}@evil.example>\r\nMIME-Version: 1.0\r\n`), entity]);
  t.equal((await v.send(raw, { from, to: [to] })).code, 250);
  await v.settle();
  v.take();
}

/** Mallory's key with alice's user ID grafted on: with no signature, or with alice's own self-signature transplanted. */
async function grafted(kind: 'unsigned' | 'transplanted'): Promise<string> {
  const m = await openpgp.readKey({ armoredKey: pubKey('mallory') });
  const a = await openpgp.readKey({ armoredKey: pubKey('alice') });
  const packets: openpgp.AnyPacket[] = [...m.toPacketList()];
  const user = a.users[0]!;
  const insert = kind === 'unsigned' ? [user.userID!] : [user.userID!, ...user.selfCertifications];
  // After mallory's own user ID and its certification (index 0 is the primary key).
  packets.splice(3, 0, ...(insert as openpgp.AnyPacket[]));
  const list = new openpgp.PacketList<openpgp.AnyPacket>();
  list.push(...packets);
  // The .d.ts narrows the constructor to key packets; a key's packet list is what it takes at runtime.
  return new openpgp.PublicKey(list as unknown as ConstructorParameters<typeof openpgp.PublicKey>[0]).armor();
}

/** `who`'s key with a self-signed user ID for `address` added by its owner (gpg --quick-add-uid). */
function withSelfSignedUid(g: Gpg, who: string, address: string): string {
  const r = g.run(['--quick-add-uid', who, `Alice Coordinator <${address}>`]);
  if (r.code !== 0) throw new Error(r.stderr);
  return g.run(['--armor', '--export', who]).stdout.toString();
}

t.before(async () => {
  v = await startTestVmtd({ extraConfig: 'policy: { ackPerSenderPerHour: 1000, casesPerSenderPerHour: 1000 }' });
  aliceFp = v.gpg('alice').fingerprint('alice@example.org');
});
t.teardown(() => v.stop());

for (const kind of ['unsigned', 'transplanted', 'self-signed'] as const) {
  t.test(`a key carrying a ${kind} alice user ID, mailed From alice, never becomes alice's key`, async (t) => {
    const material = kind === 'self-signed' ? withSelfSignedUid(v.gpg('mallory'), emailOf.mallory, 'alice@example.org') : await grafted(kind);
    await mailKey('alice@example.org', material);
    // Also offered in an Autocrypt header, the other way keys are learned from mail.
    const keydata = (await openpgp.readKey({ armoredKey: material })).write();
    await v.send(plainMail({ from: 'alice@example.org', to: 'security@example.org', subject: 'hi', extra: [`Autocrypt: addr=alice@example.org; keydata=${Buffer.from(keydata).toString('base64')}`] }, 'hello'), { from: 'alice@example.org', to: ['security@example.org'] });
    await v.settle();
    v.take();

    const id = await ritaReport(`after the ${kind} graft`);
    t.equal(view(id).members.find((m) => m.email === 'alice@example.org')!.fingerprint, aliceFp, 'the new case pins alice to her configured key');
    const r = await sendCommand(v, 'mallory', id, `X-CASE: ${id}\nX-STATE: rejected\nX-ADD-EXPERT: mallory@evil.example ${v.gpg('mallory').fingerprint(emailOf.mallory)}`, { from: 'alice@example.org' });
    t.equal(view(id).state, 'new', 'commands signed by the grafted key From alice change nothing');
    t.notOk(view(id).members.some((m) => m.email === emailOf.mallory), 'mallory did not add himself');
    t.notOk(r.out.some((d) => d.to === emailOf.mallory), 'mallory receives nothing');
    const list = await sendCommand(v, 'mallory', null, 'X-LIST-CASES', { from: 'alice@example.org' });
    for (const d of list.out) t.notMatch(d.raw.toString(), /Open cases|after the/, 'no case list is sent anywhere');
    // Alice's copy of a new report is still readable by alice alone.
    const id2 = await (async () => {
      const raw = pgpMime({ from: emailOf.rita, to: 'security@example.org', subject: 'check' }, v.gpg('rita').encrypt(textPart(SECRET), [team()]));
      await v.send(raw, { from: emailOf.rita, to: ['security@example.org'] });
      await v.settle();
      return v.take();
    })();
    const toAlice = id2.filter((d) => d.to === 'alice@example.org');
    const decs = toAlice.map((d) => v.gpg('alice').decrypt(encryptedPayload(d.raw)));
    t.ok(decs.length > 0 && decs.every((d) => d.code === 0), 'alice decrypts every copy with gpg (exit 0)');
    t.ok(decs.some((d) => d.stdout.toString().includes(SECRET)), 'the report is among them');
    for (const d of toAlice) t.not(v.gpg('mallory').decrypt(encryptedPayload(d.raw)).code, 0, 'mallory cannot');
  });
}

t.test("an expert's own key with a self-signed alice user ID gives him none of alice's authority", async (t) => {
  const id = await ritaReport('carol helps');
  const add = await sendCommand(v, 'alice', id, `X-CASE: ${id}\nX-ADD-EXPERT: carol@libfoo.example`, { attachKeys: ['carol'] });
  t.match(add.answer, /X-ADD-EXPERT: carol@libfoo\.example\s+OK/);
  const carolFp = v.gpg('carol').fingerprint('carol@libfoo.example');
  // Carol (now an expert with an imported key) mails her key again, now with an alice user ID she signed herself.
  await mailKey('carol@libfoo.example', withSelfSignedUid(v.gpg('carol'), 'carol@libfoo.example', 'alice@example.org'), `security+${id.toLowerCase()}@example.org`);
  t.same(v.daemon.ctx.keyring.emailsOf(carolFp), ['carol@libfoo.example'], "mail never adds user IDs to an imported key");

  const onHerCase = await sendCommand(v, 'carol', id, `X-CASE: ${id}\nX-STATE: rejected`, { from: 'alice@example.org' });
  t.match(onHerCase.answer, /not a self-certified user ID of the signing key|not the address of your membership/);
  t.equal(view(id).state, 'new');
  const other = await ritaReport('another');
  const onOther = await sendCommand(v, 'carol', other, `X-CASE: ${other}\nX-ADD-EXPERT: carol@libfoo.example ${carolFp}`, { from: 'alice@example.org' });
  t.equal(view(other).members.find((m) => m.email === 'alice@example.org')!.fingerprint, aliceFp, "alice's membership of a new case is her configured key");
  t.notOk(view(other).members.some((m) => m.email === 'carol@libfoo.example'), 'carol did not add herself to another case');
  t.notOk(onOther.out.some((d) => d.to === 'carol@libfoo.example' && /X-ADD-EXPERT/.test(readAs(v, 'carol', d))), 'and got no results for it');
});

t.test('X-ADD-EXPERT never picks a key that only unauthenticated mail offered (no trust on first use by address)', async (t) => {
  const id = await ritaReport('ghost');
  // Mallory mails From ghost@ a key he made for that address (self-signed, so "valid").
  const ghost = 'ghost@libfoo.example';
  const g = v.gpg('mallory');
  g.run(['--quick-add-uid', emailOf.mallory, `Ghost <${ghost}>`]);
  await mailKey(ghost, g.run(['--armor', '--export', emailOf.mallory]).stdout.toString());
  const r = await sendCommand(v, 'alice', id, `X-CASE: ${id}\nX-ADD-EXPERT: ${ghost}`);
  t.match(r.answer, /FAILED: the only keys known for ghost@libfoo\.example came in unauthenticated mail/);
  t.notOk(view(id).members.some((m) => m.email === ghost), 'the address is not added');
  t.notOk(r.out.some((d) => d.to === ghost), 'nothing of the case goes to it');
  // A coordinator who names the fingerprint vouches for the key: then it is pinned.
  const fp = g.fingerprint(emailOf.mallory);
  const named = await sendCommand(v, 'alice', id, `X-CASE: ${id}\nX-ADD-EXPERT: ${ghost} ${fp.replace(/(.{4})/g, '$1 ').trim()}`);
  t.match(named.answer, new RegExp(`X-ADD-EXPERT: .*OK: ${ghost.replace('.', '\\.')} added with key ${fp}`));
  t.equal(view(id).members.find((m) => m.email === ghost)!.fingerprint, fp);
});

t.test("a reporter's key learned from mail encrypts to them but authorizes nothing until their own signed mail pins it", async (t) => {
  // Ron's report is encrypted but unsigned, his key attached: vmtd encrypts to him, but his key is not pinned.
  const raw = pgpMime({ from: emailOf.ron, to: 'security@example.org', subject: 'ron reports' }, v.gpg('ron').encrypt(withAttachment(SECRET, 'ron.asc', 'application/pgp-keys', Buffer.from(pubKey('ron'))), [team()], { sign: false }));
  await v.send(raw, { from: emailOf.ron, to: ['security@example.org'] });
  await v.settle();
  const out = v.take();
  const id = lastCase();
  const ronFp = v.gpg('ron').fingerprint(emailOf.ron);
  t.match(view(id).members.find((m) => m.email === emailOf.ron), { fingerprint: ronFp, pinned: false });
  t.equal(v.gpg('ron').decrypt(encryptedPayload(out.find((d) => d.to === emailOf.ron)!.raw)).code, 0, 'the acknowledgement is encrypted to ron');
  const early = await sendCommand(v, 'ron', id, `X-CASE: ${id}\nX-CREDIT: Ron from Example`);
  t.match(early.answer, /not the pinned key of a member/);
  t.same(v.daemon.ctx.db.prepare('SELECT COUNT(*) AS n FROM case_credits WHERE case_id = ?').get(id), { n: 0 });
  // His signed reply pins the key; the coordinators read so in the preamble.
  const reply = pgpMime({ from: emailOf.ron, to: `security+${id.toLowerCase()}@example.org`, subject: `Re: [${id}] ron reports` }, v.gpg('ron').encrypt(textPart('more detail'), [team()]));
  await v.send(reply, { from: emailOf.ron, to: [`security+${id.toLowerCase()}@example.org`] });
  await v.settle();
  const toAlice = v.take().find((d) => d.to === 'alice@example.org')!;
  t.match(readAs(v, 'alice', toAlice), new RegExp(`reporter key ${ronFp} pinned`));
  t.match(view(id).members.find((m) => m.email === emailOf.ron), { fingerprint: ronFp, pinned: true }, 'case show says so too');
  // Signed anew (a different statement: the refused one stays refused, whenever it is sent again).
  const later = await sendCommand(v, 'ron', id, `X-CASE: ${id}\nX-CREDIT: Ron from Example Corp`);
  t.match(later.answer, /X-CREDIT: Ron from Example Corp\s+OK/);
});

t.test("a verified revocation learned from mail is the one thing mail may change about a trusted key", async (t) => {
  // Dave's key, made here with gpg, and the revocation certificate gpg keeps for it.
  const home = mkdtempSync(join(tmpdir(), 'vmtd-dave-'));
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  const gpg = (args: string[], input?: string) => spawnSync('gpg', ['--batch', '--yes', '--pinentry-mode', 'loopback', '--passphrase', '', ...args], { env: { ...process.env, GNUPGHOME: home }, ...(input ? { input } : {}) });
  const dave = 'dave@libfoo.example';
  gpg(['--quick-gen-key', `Dave <${dave}>`, 'ed25519', 'sign', 'never']);
  const fp = /^fpr:+([0-9A-F]{40}):/m.exec(gpg(['--with-colons', '--list-keys', dave]).stdout.toString())![1]!;
  gpg(['--quick-add-key', fp, 'cv25519', 'encr', 'never']);
  const fresh = gpg(['--armor', '--export', dave]).stdout.toString();
  v.clock.now = new Date(Date.now() + 60_000); // the daemon's clock was set when it started; the key is newer
  const id = await ritaReport('dave reviews');
  const add = await sendCommand(v, 'alice', id, `X-CASE: ${id}\nX-ADD-EXPERT: ${dave}`, { files: { 'dave.asc': fresh } });
  t.match(add.answer, new RegExp(`added with key ${fp}`));
  // gpg's revocation certificate, imported, makes the exported key a revoked one.
  const rev = readFileSync(join(home, 'openpgp-revocs.d', `${fp}.rev`), 'utf8').replace(/^:/m, '');
  gpg(['--import'], rev);
  const revoked = gpg(['--armor', '--export', dave]).stdout.toString();
  // Mailed by someone else it teaches nothing; from dave's address only its revocation is taken
  // (openpgp verifies it against the key itself): the rest of the material never merges.
  await mailKey(emailOf.mallory, revoked);
  await mailKey(dave, revoked);
  const out = await (async () => {
    await v.send(plainMail({ from: emailOf.rita, to: `security+${id.toLowerCase()}@example.org`, subject: 'more' }, 'more detail'), { from: emailOf.rita, to: [`security+${id.toLowerCase()}@example.org`] });
    await v.settle();
    return v.take();
  })();
  t.notOk(out.some((d) => d.to === dave), 'the revoked key gets nothing');
  const alert = out.filter((d) => d.to === 'alice@example.org').map((d) => readAs(v, 'alice', d)).find((x) => x.includes('could not be relayed'));
  t.match(alert, /dave@libfoo\.example: key is revoked/, 'the coordinators are told why');
});
