// Every armored message vmtd sends carries the CRC-24 line. Without it, GnuPG 2.2 fails on a
// message whose base64 ends without `=` padding (binary length ≡ 0 mod 3): it decrypts, then reads
// the END line as data ("invalid packet (ctb=10)", exit status 2; GnuPG bug T7071), and GPGME
// clients (KMail, Kleopatra, mutt) show the team's signature as an error. So every case here
// covers all three residues of the binary length mod 3.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import * as openpgp from 'openpgp';
import { crc24, crc24Line } from '../../src/pgp/crc24.js';
import { armorCopy, clearsign, encryptSigned, signOnce } from '../../src/pgp/encode.js';
import { Gpg, keysDir, pubKey, type GpgResult } from '../helpers/gpg.js';
import { pgpMime, textPart, withAttachment } from '../helpers/mails.js';
import { encryptedPayload, startTestVmtd, type TestVmtd } from '../helpers/vmtd.js';

const block = 48 * 16_384;
const CHECKSUM_LINE = /^=[A-Za-z0-9+/]{4}$/m;

/** The checksum line OpenPGP.js's own armor writes for these bytes (its CRC-24 code, not ours). */
const openpgpChecksum = (bytes: Uint8Array): string | undefined =>
  CHECKSUM_LINE.exec(openpgp.armor(openpgp.enums.armor.message, bytes, undefined, undefined, undefined, true))?.[0];

/** The binary packets of an armored message, as OpenPGP.js reads them (it skips the checksum line unchecked). */
async function unarmor(armored: string): Promise<Buffer> {
  const { data } = await openpgp.unarmor(armored.replace(/\r\n/g, '\n'));
  return Buffer.from(data as Uint8Array);
}

/** Bytes from a seed (fast-check shrinks and replays seeds, not megabytes). */
function bytesFrom(seed: number, n: number): Buffer {
  const out = Buffer.allocUnsafe(n);
  let x = seed | 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

const scratch = mkdtempSync(join(tmpdir(), 'vmtd-armor-checksum-'));
t.teardown(() => rmSync(scratch, { recursive: true, force: true }));
const dearmorWithGpg = (armored: Buffer) => spawnSync('gpg', ['--batch', '--no-tty', '--dearmor'], { env: { ...process.env, GNUPGHOME: scratch }, input: armored, maxBuffer: 64 << 20 });

t.test('armorCopy: for any key-packet and data lengths, the armor reads back and its checksum verifies', async (t) => {
  const interesting = [0, 1, 2, 47, 48, 49];
  const residues = new Set<number>();
  const firstLength = (kp: number) => Math.max(block, Math.ceil(kp / 48) * 48) - kp;
  type Lengths = { kp: number; data: number | { k: number; d: number }; crlf: boolean; seed: number };
  const lengths: fc.Arbitrary<Lengths> = fc.record({
    kp: fc.oneof(fc.constantFrom(...interesting, 96, 97, 98, 524, 525, 526), fc.integer({ min: 0, max: 1100 })),
    // Data lengths: small ones, or within 50 bytes of the first or second block boundary.
    data: fc.oneof(fc.constantFrom(...interesting), fc.integer({ min: 0, max: 400 }), fc.record({ k: fc.integer({ min: 0, max: 1 }), d: fc.integer({ min: -50, max: 50 }) })),
    crlf: fc.boolean(),
    seed: fc.integer(),
  });
  const examples = interesting.flatMap((kp) => interesting.map((data): [Lengths] => [{ kp, data, crlf: true, seed: kp * 100 + data }]));
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(lengths, async ({ kp, data, crlf, seed }) => {
      const size = typeof data === 'number' ? data : Math.max(0, firstLength(kp) + data.k * block + data.d);
      const keyPacket = bytesFrom(seed, kp);
      const encrypted = bytesFrom(seed ^ 0x5bd1e995, size);
      const whole = Buffer.concat([keyPacket, encrypted]);
      const eol = crlf ? '\r\n' : '\n';
      const pieces = await armorCopy(keyPacket, encrypted, eol);
      const label = `${kp}+${size} bytes, ${crlf ? 'CRLF' : 'LF'}`;
      // materialize's contract: the last piece is the END line and the line end; before it, the checksum line.
      if (pieces.at(-1)!.toString('latin1') !== `-----END PGP MESSAGE-----${eol}`) throw new Error(`${label}: last piece is not the END line`);
      const checksum = pieces.at(-2)!.toString('latin1');
      if (!checksum.endsWith(eol) || !CHECKSUM_LINE.test(checksum.slice(0, -eol.length))) throw new Error(`${label}: no checksum line before the END line: ${JSON.stringify(checksum)}`);
      const line = checksum.slice(0, -eol.length);
      if (line !== crc24Line(crc24(whole))) throw new Error(`${label}: checksum ${line}, CRC-24 of the bytes is ${crc24Line(crc24(whole))}`);
      // OpenPGP.js's armor is slow on megabytes: there gpg --dearmor (below) is the independent check.
      if (whole.length <= 100_000 && line !== openpgpChecksum(whole)) throw new Error(`${label}: checksum ${line}, OpenPGP.js computes ${openpgpChecksum(whole)}`);
      const armored = Buffer.concat(pieces);
      if (whole.length > 0) {
        if (!(await unarmor(armored.toString('latin1'))).equals(whole)) throw new Error(`${label}: OpenPGP.js does not read the bytes back`);
        const g = dearmorWithGpg(armored);
        if (g.status !== 0 || !g.stdout.equals(whole)) throw new Error(`${label}: gpg --dearmor exit ${g.status}: ${g.stderr.toString().slice(0, 300)}`);
        residues.add(whole.length % 3);
      }
      runs++;
      return true;
    }),
    { numRuns: examples.length + 100, examples },
  );
  t.equal(runs, examples.length + 100, `${runs} cases: every pair of 0, 1, 2, 47, 48, 49 bytes, then 100 random ones`);
  t.same([...residues].sort(), [0, 1, 2], 'binary lengths of every residue mod 3 were covered');
});

t.test("encryptSigned and clearsign (vmtd's own letters) carry the checksum too; gpg reads them", async (t) => {
  // alice's fixture key stands in for the team key.
  const signer = await openpgp.readPrivateKey({ armoredKey: readFileSync(join(keysDir, 'alice.sec.asc'), 'utf8') });
  const maintKey = await openpgp.readKey({ armoredKey: pubKey('maint') });
  const maint = new Gpg('maint');
  t.teardown(() => maint.dispose());
  maint.importKey(pubKey('alice'));
  const alice = signer.getFingerprint().toUpperCase();
  const now = new Date();
  const residues = new Set<number>();
  for (let n = 100; n < 106; n++) {
    const armored = await encryptSigned(await signOnce(Buffer.from('x'.repeat(n)), signer, now), maintKey, now);
    const binary = await unarmor(armored);
    residues.add(binary.length % 3);
    t.equal(CHECKSUM_LINE.exec(armored)?.[0], crc24Line(crc24(binary)), `${n}: the checksum line of the message (binary length ${binary.length}, ≡ ${binary.length % 3} mod 3)`);
    const r = maint.decrypt(armored);
    t.equal(r.code, 0, `${n}: gpg --decrypt exits 0`);
    t.match(r.status, new RegExp(`^\\[GNUPG:\\] VALIDSIG ${alice} `, 'm'), `${n}: VALIDSIG of the signer`);
  }
  t.same([...residues].sort(), [0, 1, 2], 'encrypted letters of every residue mod 3');

  for (const text of ['Hello.', 'Hello!', 'Hello!!', '-----BEGIN PGP SIGNATURE-----\nnot one\n', 'a line with -----BEGIN PGP SIGNATURE----- inside\n- dash\n']) {
    const signed = await clearsign(text, signer, now);
    const at = signed.lastIndexOf('\n-----BEGIN PGP SIGNATURE-----\n');
    const sig = await openpgp.readSignature({ armoredSignature: signed.slice(at + 1) });
    t.equal(CHECKSUM_LINE.exec(signed.slice(at))?.[0], crc24Line(crc24(sig.write() as Uint8Array)), `${JSON.stringify(text)}: the signature block has the checksum line`);
    t.ok(signed.endsWith('-----END PGP SIGNATURE-----\n'), 'ends with the END line');
    const r = maint.verify(signed);
    t.equal(r.code, 0, `${JSON.stringify(text)}: gpg --verify exits 0`);
    t.match(r.status, new RegExp(`^\\[GNUPG:\\] VALIDSIG ${alice} `, 'm'));
    const read = await openpgp.readCleartextMessage({ cleartextMessage: signed });
    const verified = await openpgp.verify({ message: read, verificationKeys: signer.toPublic(), expectSigned: true });
    t.equal(verified.data, text, 'OpenPGP.js verifies it and reads the text back');
  }
});

// End to end: reports over SMTP, relayed to every member; each member's real gpg and GPGME.

/** Debian's python3-gpg serves /usr/bin/python3 (a python3 earlier in PATH may be another one). */
const gpgmePython = ['/usr/bin/python3', 'python3'].find((p) => spawnSync(p, ['-c', 'import gpg']).status === 0);
const gpgmeHelper = resolve(import.meta.dirname, '../helpers/gpgme-decrypt.py');

interface Copy {
  to: 'alice' | 'bob' | 'maint' | 'rita';
  /**
   * A relay (armorCopy), or one of vmtd's own letters (acknowledgements, alerts: encryptSigned),
   * told apart by the subject inside; 'unread' when the recipient's gpg could not decrypt it.
   */
  kind: 'relay' | 'letter' | 'unread';
  armored: string;
  binaryLength: number;
  /** The recipient's `gpg --decrypt` of it. */
  gpg: GpgResult;
}

let v: TestVmtd;
const copies: Copy[] = [];
/** Clear-signed letters (acknowledgements sent before vmtd knows the reporter's key). */
const clearsigned: string[] = [];
const team = () => v.daemon.ctx.team.fingerprint;

t.before(async () => {
  v = await startTestVmtd();
  const rita = v.gpg('rita');
  // From the second report on, rita's key travels along (Autocrypt): her acknowledgements are then encrypted.
  const autocrypt = `Autocrypt: addr=rita@reporter.example; keydata=${rita.run(['--export', 'rita@reporter.example']).stdout.toString('base64')}`;
  for (const pad of [0, 1, 2, 3, 4, 5]) {
    const text = `Project: libfoo\n\nOverflow in parse_header, report ${pad}.\n${'A'.repeat(pad)}\n`;
    const head = { from: 'Rita Reporter <rita@reporter.example>', to: 'security@example.org', subject: `Overflow ${pad}`, extra: pad === 0 ? [] : [autocrypt] };
    const r = await v.send(pgpMime(head, rita.encrypt(textPart(text), [team()])), { from: 'rita@reporter.example', to: ['security@example.org'] });
    if (r.code !== 250) throw new Error(`report ${pad} refused: ${r.response}`);
    await v.settle();
  }
  // One large report: its copies are armored in several blocks (the CRC carried across them).
  const big = withAttachment('Project: libfoo\n\nA large proof of concept.', 'poc.bin', 'application/octet-stream', randomBytes(1_800_000));
  const raw = pgpMime({ from: 'rita@reporter.example', to: 'security@example.org', subject: 'Large PoC', extra: [autocrypt] }, rita.encrypt(big, [team()]));
  if ((await v.send(raw, { from: 'rita@reporter.example', to: ['security@example.org'] })).code !== 250) throw new Error('large report refused');
  await v.settle();
  for (const d of v.take()) {
    const to = (['alice', 'bob', 'maint', 'rita'] as const).find((p) => d.to.startsWith(`${p}@`));
    if (!to) throw new Error(`unexpected recipient ${d.to}`);
    if (/^content-type: text\/plain/im.test(d.raw.subarray(0, d.raw.indexOf('\r\n\r\n')).toString())) {
      clearsigned.push(d.raw.subarray(d.raw.indexOf('\r\n\r\n') + 4).toString());
      continue;
    }
    const armored = encryptedPayload(d.raw);
    const gpg = v.gpg(to).decrypt(armored);
    const kind = gpg.code !== 0 ? 'unread' : /^Subject: \[SEC-[0-9-]+\] (Overflow \d|Large PoC)\r?$/m.test(gpg.stdout.toString()) ? 'relay' : 'letter';
    copies.push({ to, kind, armored, binaryLength: (await unarmor(armored)).length, gpg });
  }
});
t.teardown(() => v?.stop());

t.test("relayed copies of every residue mod 3: each member's gpg decrypts with exit status 0 and a good team signature", async (t) => {
  const relays = copies.filter((c) => c.kind !== 'letter');
  t.equal(relays.length, 7 * 3, 'seven reports, each relayed to alice, bob and maint');
  t.ok(relays.some((c) => c.binaryLength > 2 * block), 'the large copies span several armor blocks');
  const residues = new Set(relays.map((c) => c.binaryLength % 3));
  t.same([...residues].sort(), [0, 1, 2], `binary lengths of the relayed copies cover every residue mod 3 (${relays.map((c) => c.binaryLength).join(', ')})`);
  for (const c of copies) {
    const label = `${c.kind} to ${c.to}, ${c.binaryLength} bytes (≡ ${c.binaryLength % 3} mod 3)`;
    t.equal(CHECKSUM_LINE.exec(c.armored)?.[0], crc24Line(crc24(await unarmor(c.armored))), `${label}: correct checksum line`);
    const r = c.gpg;
    t.equal(r.code, 0, `${label}: gpg --decrypt exits 0`);
    t.notMatch(r.stderr, /invalid packet|invalid radix64|CRC error/, `${label}: no armor complaint`);
    t.match(r.status, /^\[GNUPG:\] GOODSIG [0-9A-F]{16} /m, `${label}: GOODSIG`);
    t.match(r.status, new RegExp(`^\\[GNUPG:\\] VALIDSIG [0-9A-F]{40} .* ${team()}$`, 'm'), `${label}: VALIDSIG by the team key`);
  }
  t.ok(copies.some((c) => c.kind === 'letter'), "vmtd's own encrypted letters (encryptSigned) were checked too");
});

t.test("clear-signed letters (vmtd's clearsign) carry the checksum; gpg --verify exits 0", async (t) => {
  t.ok(clearsigned.length >= 1, 'the first acknowledgement went out clear-signed (no key for the reporter yet)');
  for (const body of clearsigned) {
    const at = body.lastIndexOf('-----BEGIN PGP SIGNATURE-----');
    const signature = await openpgp.readSignature({ armoredSignature: body.slice(at).replace(/\r\n/g, '\n') });
    t.equal(CHECKSUM_LINE.exec(body.slice(at).replace(/\r\n/g, '\n'))?.[0], crc24Line(crc24(signature.write() as Uint8Array)), 'correct checksum line in the signature block');
    const r = v.gpg('rita').verify(body);
    t.equal(r.code, 0, 'gpg --verify exits 0');
    t.match(r.status, new RegExp(`^\\[GNUPG:\\] VALIDSIG [0-9A-F]{40} .* ${team()}$`, 'm'), 'VALIDSIG by the team key');
  }
});

const noGpgme = 'python3-gpg (the GPGME Python bindings) is not importable: apt-get install python3-gpg';
t.test('GPGME (as KMail, Kleopatra and mutt use it) reports a valid team signature on copies of every residue', { skip: gpgmePython ? false : noGpgme }, async (t) => {
  if (!gpgmePython) return;
  // maint's relays (every residue) and every letter: the other members' copies differ only in their key packet.
  const checked = copies.filter((c) => c.to === 'maint' || c.kind === 'letter');
  // Each member trusts the team key (as they would after checking its fingerprint): GPGME then says VALID.
  // (Plain gpg here: the helper's `--trust-model always` would leave the trust database unchecked.)
  for (const p of new Set(checked.map((c) => c.to))) {
    const env = { ...process.env, GNUPGHOME: v.gpg(p).home };
    spawnSync('gpg', ['--batch', '--import-ownertrust'], { env, input: `${team()}:6:\n` });
    spawnSync('gpg', ['--batch', '--check-trustdb'], { env });
  }
  const residues = new Set<number>();
  for (const c of checked) {
    const label = `${c.kind} to ${c.to}, ${c.binaryLength} bytes (≡ ${c.binaryLength % 3} mod 3)`;
    const g = v.gpg(c.to);
    const file = join(scratch, `${c.to}-${c.binaryLength}.asc`);
    writeFileSync(file, c.armored);
    const r = spawnSync(gpgmePython, [gpgmeHelper, g.home, file], { encoding: 'utf8', timeout: 60_000 });
    let out: { exit: number; error: string | null; signatures: Array<{ fpr: string; status: number; status_text: string; summary_flags: string[] }> };
    try {
      out = JSON.parse(r.stdout);
    } catch {
      t.fail(`${label}: the GPGME helper printed no JSON (exit ${r.status}): ${r.stdout} ${r.stderr}`);
      continue;
    }
    t.equal(r.status, 0, `${label}: GPGME decrypts and verifies without error${out.error ? ` (${out.error})` : ''}`);
    t.equal(out.error, null);
    t.equal(out.signatures.length, 1, `${label}: one signature`);
    const sig = out.signatures[0];
    t.equal(sig?.fpr, team(), `${label}: by the team key`);
    t.equal(sig?.status, 0, `${label}: status ${sig?.status_text}`);
    t.ok(sig?.summary_flags.includes('VALID') && !sig.summary_flags.includes('RED'), `${label}: summary ${sig?.summary_flags.join('|')}`);
    if (c.kind !== 'letter') residues.add(c.binaryLength % 3);
  }
  t.same([...residues].sort(), [0, 1, 2], 'relayed copies of every residue mod 3 went through GPGME');
});
