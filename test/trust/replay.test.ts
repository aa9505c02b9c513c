// Trust, replays: a signed command takes effect once whatever is done to its packets, a command
// that failed or was refused cannot be sent again later, team commands included; a ciphertext is
// decrypted into one case only (no decryption oracle). By SMTP, with gpg-made mail.
import t from 'tap';
import * as openpgp from 'openpgp';
import { emailOf } from '../helpers/gpg.js';
import { pgpMime, plainMail, textPart } from '../helpers/mails.js';
import { commandMail, resend, sendCommand } from '../helpers/commands.js';
import { encryptedPayload, startTestVmtd, type Delivered, type TestVmtd } from '../helpers/vmtd.js';
import { caseList, caseView } from '../../src/store/case-view.js';
import { dearmor } from '../../src/pgp/dearmor.js';

const SECRET = 'rita-only: the overflow is in parse_header()';
let v: TestVmtd;
const team = () => v.daemon.ctx.team.fingerprint;
const view = (id: string) => caseView(v.daemon.ctx.db, v.daemon.ctx.sealer, id)!;
const cases = () => caseList(v.daemon.ctx.db, v.daemon.ctx.sealer);
const caseAddr = (id: string) => `security+${id.toLowerCase()}@example.org`;
const spoolRow = (n = 1) => v.daemon.ctx.db.prepare('SELECT state, outcome, reason FROM spool ORDER BY id DESC LIMIT 1 OFFSET ?').get(n - 1) as { state: string; outcome: string | null; reason: string | null };

async function send(raw: Buffer, from: string, to: string): Promise<Delivered[]> {
  t.equal((await v.send(raw, { from, to: [to] })).code, 250);
  await v.settle();
  return v.take();
}

/** Everything mallory can read of what he received. */
function malloryReads(out: Delivered[]): string {
  return out
    .filter((d) => d.to === emailOf.mallory)
    .map((d) => (/multipart\/encrypted/.test(d.raw.subarray(0, 3000).toString()) ? v.gpg('mallory').decrypt(encryptedPayload(d.raw)).stdout.toString() : d.raw.toString()))
    .join('\n');
}

/** A clear-signed text with an extra unhashed subpacket: same statement, other packet bytes (gpg still says good). */
async function padded(clearsigned: string): Promise<string> {
  // The .d.ts of CleartextMessage omits its signature and constructor arguments, both there at runtime.
  const msg = (await openpgp.readCleartextMessage({ cleartextMessage: clearsigned })) as unknown as { signature: openpgp.Signature; getText(): string };
  const sig = msg.signature.packets[0]!;
  const body = Buffer.concat([Buffer.from([0x80, 0, 0, 0]), Buffer.from([0, 11, 0, 3]), Buffer.from('x@vmtd.test'), Buffer.from('pad')]);
  (sig as unknown as { unhashedSubpackets: Array<{ type: number; critical: boolean; body: Uint8Array }> }).unhashedSubpackets.push({ type: 20, critical: false, body });
  const Cleartext = openpgp.CleartextMessage as unknown as new (text: string, signature: openpgp.Signature) => openpgp.CleartextMessage;
  return new Cleartext(msg.getText(), msg.signature).armor();
}

let ritaCase: string;
let malloryCase: string;
let ritaReport: Buffer;

t.before(async () => {
  v = await startTestVmtd({ extraConfig: 'policy: { ackPerSenderPerHour: 1000 }' });
  ritaReport = pgpMime({ from: emailOf.rita, to: 'security@example.org', subject: 'overflow' }, v.gpg('rita').encrypt(textPart(SECRET), [team()]));
  await send(ritaReport, emailOf.rita, 'security@example.org');
  ritaCase = cases().at(-1)!.id;
  await send(plainMail({ from: emailOf.mallory, to: 'security@example.org', subject: 'my own report' }, 'something harmless'), emailOf.mallory, 'security@example.org');
  malloryCase = cases().at(-1)!.id;
});
t.teardown(() => v.stop());

t.test('a captured ciphertext sent into another case is never decrypted there (no decryption oracle)', async (t) => {
  const armored = encryptedPayload(ritaReport);
  const shapes: Array<[string, Buffer, string, string]> = [
    ['the same PGP/MIME body, to his case address', pgpMime({ from: emailOf.mallory, to: caseAddr(malloryCase), subject: 'look' }, armored), emailOf.mallory, caseAddr(malloryCase)],
    ['re-wrapped as inline PGP, his case tag in the subject', plainMail({ from: emailOf.mallory, to: 'security@example.org', subject: `[${malloryCase}] look` }, `see below\n\n${armored}`), emailOf.mallory, 'security@example.org'],
    ['From forged as rita, into his case', pgpMime({ from: emailOf.rita, to: caseAddr(malloryCase), subject: 'look' }, armored), emailOf.rita, caseAddr(malloryCase)],
    ['to the intake as a new report from mallory', pgpMime({ from: emailOf.mallory, to: 'security@example.org', subject: 'new' }, armored), emailOf.mallory, 'security@example.org'],
  ];
  // Re-armored by another implementation: other line lengths and headers, the same packets.
  const binary = Buffer.from(await dearmor(Buffer.from(armored)));
  const rearmored = `-----BEGIN PGP MESSAGE-----\nComment: totally new\n\n${binary.toString('base64').match(/.{1,76}/g)!.join('\n')}\n-----END PGP MESSAGE-----\n`;
  t.not(rearmored.replace(/\s/g, ''), armored.replace(/\s/g, ''), 'the armor differs');
  shapes.push(['re-armored', pgpMime({ from: emailOf.mallory, to: caseAddr(malloryCase), subject: 'look' }, rearmored), emailOf.mallory, caseAddr(malloryCase)]);
  const before = cases().length;
  for (const [name, raw, from, to] of shapes) {
    const out = await send(raw, from, to);
    t.notMatch(malloryReads(out), 'parse_header', `${name}: mallory reads nothing of it`);
    t.notOk(out.some((d) => d.to === emailOf.mallory), `${name}: mallory receives nothing at all`);
    t.match(spoolRow(), { state: 'quarantined', reason: /^replayed ciphertext/ }, `${name}: quarantined as a replay`);
    const alert = out.find((d) => d.to === 'alice@example.org');
    t.ok(alert && /replayed ciphertext/.test(v.gpg('alice').decrypt(encryptedPayload(alert.raw)).stdout.toString()), `${name}: the coordinators are told`);
  }
  t.equal(cases().length, before, 'no case was opened by a replay');
  t.notOk(view(malloryCase).messages!.length > 1, "nothing was added to mallory's case");
});

t.test('the same ciphertext resent by its own sender is no replay: no new case, the acknowledgement again', async (t) => {
  const before = cases().length;
  const out = await send(ritaReport, emailOf.rita, 'security@example.org');
  t.equal(cases().length, before, 'no second case');
  t.match(spoolRow(), { state: 'done', outcome: 'duplicate' });
  const ack = out.find((d) => d.to === emailOf.rita);
  t.ok(ack, 'rita gets an answer');
  t.match(ack!.raw.toString(), new RegExp(`\\[${ritaCase}\\]`), 'naming her case');
  t.notOk(out.some((d) => d.to === 'alice@example.org' || d.to === 'bob@example.org'), 'nothing is relayed again');
});

t.test("a coordinator's encrypted command replayed into another case is quarantined", async (t) => {
  const { raw } = commandMail(v, 'alice', ritaCase, `X-CASE: ${ritaCase}\nX-STATE: triaged\n\n${SECRET}`);
  await send(raw, 'alice@example.org', caseAddr(ritaCase));
  t.equal(view(ritaCase).state, 'triaged');
  const stolen = pgpMime({ from: emailOf.mallory, to: caseAddr(malloryCase), subject: 'fwd' }, encryptedPayload(raw));
  const out = await send(stolen, emailOf.mallory, caseAddr(malloryCase));
  t.match(spoolRow(), { state: 'quarantined', reason: /^replayed ciphertext/ });
  t.notMatch(malloryReads(out), 'parse_header');
});

t.test('a signed command applies once: padded with an unhashed subpacket, it is refused', async (t) => {
  const body = `X-CASE: ${ritaCase}\nX-SEVERITY: high\n`;
  const clear = v.gpg('bob').clearsign(body);
  const first = await resend(v, 'bob', plainMail({ from: 'bob@example.org', to: caseAddr(ritaCase), subject: 'cmd' }, clear), caseAddr(ritaCase), 'bob@example.org');
  t.match(first.answer, /X-SEVERITY: high\s+OK/);
  const variant = await padded(clear);
  t.not(variant, clear, 'the packets differ');
  t.equal(v.gpg('bob').verify(variant).code, 0, 'gpg still says good signature');
  // The coordinator lowered it meanwhile; a replay would raise it again.
  await sendCommand(v, 'alice', ritaCase, `X-CASE: ${ritaCase}\nX-SEVERITY: low`);
  const again = await resend(v, 'bob', plainMail({ from: 'bob@example.org', to: caseAddr(ritaCase), subject: 'cmd' }, variant), caseAddr(ritaCase), 'bob@example.org');
  t.match(again.answer, /already received once \(replay refused\)/);
  t.equal(view(ritaCase).severity, 'low', 'the replay changed nothing');
});

t.test('a command that failed cannot be sent again later and apply', async (t) => {
  const { raw, to, from } = commandMail(v, 'alice', ritaCase, `X-CASE: ${ritaCase}\nX-STATE: closed`);
  const first = await resend(v, 'alice', raw, to, from);
  t.match(first.answer, /FAILED/, 'triaged → closed is not allowed');
  await sendCommand(v, 'alice', ritaCase, `X-CASE: ${ritaCase}\nX-STATE: accepted`);
  await sendCommand(v, 'alice', ritaCase, `X-CASE: ${ritaCase}\nX-STATE: rejected`);
  t.equal(view(ritaCase).state, 'rejected');
  // rejected → closed is not allowed either, but re-send it after X-REOPEN made the case accepted… still refused as seen.
  await sendCommand(v, 'alice', ritaCase, `X-CASE: ${ritaCase}\nX-REOPEN`);
  const again = await resend(v, 'alice', raw, to, from);
  t.match(again.answer, /already received once/);
  t.equal(view(ritaCase).state, 'accepted');
  const refused = commandMail(v, 'bob', ritaCase, `X-CASE: ${malloryCase}\nX-STATE: rejected`);
  t.match((await resend(v, 'bob', refused.raw, refused.to, refused.from)).answer, /does not match the case/);
  const seen = v.daemon.ctx.db.prepare("SELECT outcome FROM signatures_seen WHERE outcome IS NOT NULL ORDER BY rowid").all() as Array<{ outcome: string }>;
  t.ok(['applied', 'failed', 'refused'].every((o) => seen.some((s) => s.outcome === o)), 'applied, failed and refused command messages are all recorded');
});

t.test('one signed X-OPEN sent three times opens one case', async (t) => {
  const { raw, to, from } = commandMail(v, 'alice', null, 'X-OPEN: found in review\n\nthe details');
  const before = cases().length;
  const answers = [];
  for (let i = 0; i < 3; i++) answers.push((await resend(v, 'alice', raw, to, from)).answer);
  t.equal(cases().length, before + 1, 'one case');
  t.match(answers[1], /already received once/);
  t.match(answers[2], /already received once/);
});
