// Mail as real clients write it (Thunderbird/Enigmail, KMail, mutt, Exchange), from the Schleuder
// project's fixtures in ../shared/interop: decoded by vmtd's real inbound path. Skips, saying so,
// when that folder is not beside the repository.
import t from 'tap';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as openpgp from 'openpgp';
import { decodeMessage } from '../src/pgp/decode.js';
import { protectedSubject } from '../src/mail/headers.js';
import { readPublicKeys } from '../src/pgp/keys.js';

const base = resolve(import.meta.dirname, '../../shared/interop/schleuder');
const missing = existsSync(base) ? false : `SKIPPED: interop corpus not found at ${base}`;

t.test('real clients: every PGP mode decodes, signatures are judged, failures are clean', { skip: missing }, async (t) => {
  const team = await openpgp.readPrivateKey({ armoredKey: readFileSync(join(base, 'list-secret-key.asc'), 'utf8') });
  const kmail = await openpgp.readPrivateKey({ armoredKey: readFileSync(join(base, 'openpgp-keys/encapsulated-list.sec'), 'utf8') });
  const keys: openpgp.PublicKey[] = [];
  for (const dir of [base, join(base, 'openpgp-keys')]) {
    for (const f of readdirSync(dir).filter((f) => statSync(join(dir, f)).isFile() && !f.endsWith('.sec'))) {
      try {
        const data = readFileSync(join(dir, f));
        keys.push(...(await readPublicKeys(data.includes('-----BEGIN PGP') ? data.toString('utf8') : new Uint8Array(data))));
      } catch {
        // Some fixture files are deliberately broken keys.
      }
    }
  }
  const decode = (f: string, key = team) => decodeMessage(readFileSync(join(base, 'mails', f)), { decryption: [key], verification: keys, date: new Date() });
  const expect: Array<[string, { format: string; encrypted: boolean; signature: string; subject?: string }]> = [
    ['encrypted-mime/thunderbird.eml', { format: 'pgp-mime', encrypted: true, signature: 'unsigned', subject: 'encrypted-mime test' }],
    ['encrypted+signed-mime/thunderbird.eml', { format: 'pgp-mime', encrypted: true, signature: 'good', subject: 'encrypted test' }],
    ['encrypted-inline/thunderbird.eml', { format: 'inline', encrypted: true, signature: 'unsigned' }],
    ['encrypted+signed-inline/thunderbird.eml', { format: 'inline', encrypted: true, signature: 'good' }],
    ['signed-mime/thunderbird.eml', { format: 'pgp-mime', encrypted: false, signature: 'good' }],
    ['signed-inline/thunderbird.eml', { format: 'inline', encrypted: false, signature: 'good' }],
    ['multipart-alternative/thunderbird-multi-alt-signed.eml', { format: 'pgp-mime', encrypted: false, signature: 'good' }],
    ['plain/thunderbird.eml', { format: 'plain', encrypted: false, signature: 'unsigned' }],
    ['exchange.eml', { format: 'pgp-mime', encrypted: true, signature: 'unsigned' }],
    ['protected-headers.eml', { format: 'pgp-mime', encrypted: true, signature: 'unsigned', subject: 'Re: the real subject' }],
    ['mutt_protected_headers.txt', { format: 'pgp-mime', encrypted: true, signature: 'unsigned' }],
    ['qp-encoding-encrypted+signed.eml', { format: 'pgp-mime', encrypted: true, signature: 'good' }],
    ['charset_mails/japanese_iso_2022.eml', { format: 'plain', encrypted: false, signature: 'unsigned' }],
  ];
  for (const [f, want] of expect) {
    const r = await decode(f);
    t.ok(r.ok, `${f} decodes`);
    if (!r.ok) continue;
    t.match({ format: r.decoded.format, encrypted: r.decoded.encrypted, signature: r.decoded.signature.state }, { format: want.format, encrypted: want.encrypted, signature: want.signature }, f);
    if (want.subject) t.equal(protectedSubject(r.decoded.content), want.subject, `${f}: protected subject`);
  }
  // KMail encapsulates a multipart/signed inside the encryption; its sender key is RSA-1024,
  // which openpgp.js refuses as too weak: decrypted, but the signature does not count as good.
  const k = await decode('encapsulated.eml', kmail);
  t.ok(k.ok && k.decoded.encrypted && protectedSubject(k.decoded.content) === 'test', 'KMail encapsulation decrypts');
  t.ok(k.ok && k.decoded.signature.state === 'bad', 'a signature by a too-weak key is not good');
  for (const [f, reason] of [
    ['encrypted-to-absent-key.txt', /not the team key/],
    ['encrypted-to-passphrase.txt', /cannot decrypt/],
    ['mutt-2.0.5-linux-xaddkey-attachment-binary.eml', /not the team key/],
    ['containing-pgp-garbage.txt', /broken OpenPGP/],
  ] as const) {
    const r = await decode(f);
    t.match(r, { ok: false, reason }, `${f} fails with a reason`);
  }
});
