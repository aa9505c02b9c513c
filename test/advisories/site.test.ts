// The team's well-known files: security.txt (RFC 9116) clear-signed by the team key and checked
// by the real gpg, the WKD layout (hash vectors from the draft and from gpg-wks-client), modes,
// and the CSAF provider directory written by publication.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as openpgp from 'openpgp';
import t, { type Test } from 'tap';
import {
  EXPIRES_DAYS,
  publicBaseUrl,
  publishAdvisory,
  securityTxtFields,
  siteOptions,
  wkdHash,
  writeTeamSite,
  zbase32,
  type SiteOptions,
} from '../../src/advisories/index.js';
import { fingerprintOf, generateTeamKey } from '../../src/pgp/keys.js';
import type { Config } from '../../src/config/types.js';
import { exampleYaml, fixture, loadAdvisory } from '../fixtures/advisories/support.js';

const now = new Date('2026-12-02T10:00:00Z');
const instance: Config['instance'] = {
  name: 'Example Security Team', domain: 'example.org', intake: 'security', separator: '+', caseIdPrefix: 'SEC', dataDir: '/nonexistent', publicDir: '/nonexistent',
};

async function team(): Promise<SiteOptions['team']> {
  const privateKey = await openpgp.readPrivateKey({ armoredKey: await generateTeamKey(instance.name, 'security@example.org', now) });
  return { privateKey, publicKey: privateKey.toPublic(), fingerprint: fingerprintOf(privateKey) };
}

function tmp(t: Test, prefix = 'vmtd-wellknown-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function gpg(home: string, args: string[], input?: string | Buffer): { code: number; out: string; err: string } {
  const r = spawnSync('gpg', ['--batch', '--no-tty', '--status-fd', '2', ...args], { env: { ...process.env, GNUPGHOME: home }, input: input ?? '' });
  return { code: r.status ?? -1, out: r.stdout?.toString() ?? '', err: r.stderr?.toString() ?? '' };
}

const mode = (p: string): number => statSync(p).mode & 0o777;

t.test('WKD hashed user IDs, byte for byte', async (t) => {
  // draft-koch-openpgp-webkey-service §3.1 example: Joe.Doe@Example.ORG
  //   https://example.org/.well-known/openpgpkey/hu/iy9q119eutrkn8s1mk4r39qejnbu3n5q?l=Joe.Doe
  t.equal(wkdHash('Joe.Doe'), 'iy9q119eutrkn8s1mk4r39qejnbu3n5q', "the draft's example");
  t.equal(wkdHash('joe.doe'), 'iy9q119eutrkn8s1mk4r39qejnbu3n5q', 'the local part is lower-cased first');
  t.not(wkdHash('joe.doe'), 'iy9q119eutrkn8s1mk4r7xtj3s5u9xba', 'not the value our brief quoted, which is no SHA-1 of "joe.doe"');
  // z-base-32 itself (Zooko's specification examples: the bits 0 / 1 / 0xf0bfc7)
  t.equal(zbase32(new Uint8Array([0])), 'yy');
  t.equal(zbase32(new Uint8Array([0xf0, 0xbf, 0xc7])), '6n9hq');
  t.equal(zbase32(new Uint8Array([0xd4, 0x7a, 0x04])), '4t7ye');
  // Against GnuPG's own implementation when it is installed.
  const wks = ['/usr/lib/gnupg/gpg-wks-client', '/usr/libexec/gpg-wks-client'].find((p) => existsSync(p));
  if (!wks) {
    t.comment('SKIPPED: gpg-wks-client not installed; compared with the draft vector only');
    return;
  }
  for (const address of ['security@example.org', 'Joe.Doe@Example.ORG', 'vmt-team@lists.example.net', 'a@b.c']) {
    const r = spawnSync(wks, ['--print-wkd-hash', address]);
    const [hash] = r.stdout.toString().trim().split(' ');
    t.equal(wkdHash(address.slice(0, address.lastIndexOf('@'))), hash, `${address}: same as gpg-wks-client`);
  }
});

t.test('security.txt fields (RFC 9116)', async (t) => {
  const text = securityTxtFields({ baseUrl: 'https://example.org/', contact: 'security@example.org', now });
  t.match(text, /^Contact: mailto:security@example\.org$/m);
  t.match(text, /^Expires: 2027-12-01T10:00:00Z$/m, `${EXPIRES_DAYS} days ahead, RFC 3339, under a year as §2.5.5 recommends`);
  t.match(text, /^Encryption: https:\/\/example\.org\/team\.asc$/m);
  t.match(text, /^Policy: https:\/\/example\.org\/policy\.txt$/m);
  t.match(text, /^Preferred-Languages: en$/m);
  t.match(text, /^Canonical: https:\/\/example\.org\/\.well-known\/security\.txt$/m);
  t.match(text, /^CSAF: https:\/\/example\.org\/\.well-known\/csaf\/provider-metadata\.json$/m, 'CSAF §7.1.8');
  t.equal(text.match(/^Expires:/gm)?.length, 1, 'Expires exactly once (§2.5.5)');
  t.equal(publicBaseUrl({ domain: 'example.org' }), 'https://example.org/');
  t.equal(publicBaseUrl({ domain: 'example.org', publicUrl: 'https://security.example.org/site' }), 'https://security.example.org/site/');
});

t.test('writeTeamSite: signed security.txt that gpg verifies, team.asc, WKD, modes', async (t) => {
  const dir = tmp(t);
  const key = await team();
  const old = process.umask(0o077);
  let written: string[];
  try {
    written = await writeTeamSite(dir, siteOptions(instance, key, now, 60));
  } finally {
    process.umask(old);
  }
  const hash = wkdHash('security');
  t.same(written.map((p) => p.slice(dir.length + 1)).sort(), ['.well-known/openpgpkey/hu/' + hash, '.well-known/openpgpkey/policy', '.well-known/security.txt', '.well-known/csaf/provider-metadata.json', 'policy.txt', 'team.asc'].sort());
  for (const p of written) t.equal(mode(p), 0o644, `${p} is 0644 under umask 077`);
  t.equal(JSON.parse(readFileSync(join(dir, '.well-known/csaf/provider-metadata.json'), 'utf8')).last_updated, now.toISOString(), 'provider metadata before any publication');
  for (const d of ['', '.well-known', '.well-known/openpgpkey', '.well-known/openpgpkey/hu', '.well-known/csaf']) t.equal(mode(join(dir, d)), 0o755, `${d || '.'} is 0755`);
  t.equal(readFileSync(join(dir, '.well-known/openpgpkey/policy'), 'utf8'), '', 'an empty policy file');

  const txt = readFileSync(join(dir, '.well-known/security.txt'), 'utf8');
  t.match(txt, /^-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA(256|512)\n\n/, 'an OpenPGP cleartext signature (RFC 9116 §2.3)');
  t.match(txt, /^Contact: mailto:security@example\.org$/m);
  t.match(readFileSync(join(dir, 'policy.txt'), 'utf8'), /at most 60 days/);

  // The binary WKD key and team.asc are the same key, with the intake address as user ID.
  const wkdKey = await openpgp.readKey({ binaryKey: readFileSync(join(dir, '.well-known/openpgpkey/hu', hash)) });
  t.equal(fingerprintOf(wkdKey), key.fingerprint);
  t.notOk(wkdKey.isPrivate(), 'no secret material published');
  const asc = await openpgp.readKey({ armoredKey: readFileSync(join(dir, 'team.asc'), 'utf8') });
  t.equal(fingerprintOf(asc), key.fingerprint);
  t.notOk(asc.isPrivate());

  const home = tmp(t, 'vmtd-gpg-wk-');
  t.equal(gpg(home, ['--import', join(dir, 'team.asc')]).code, 0, 'gpg imports team.asc');
  const ok = gpg(home, ['--verify', join(dir, '.well-known/security.txt')]);
  t.equal(ok.code, 0, `gpg --verify accepts security.txt: ${ok.err}`);
  t.match(ok.err, new RegExp(`\\[GNUPG:\\] VALIDSIG ${key.fingerprint.toUpperCase()} `), 'signed by the team key');
  const tampered = txt.replace('Preferred-Languages: en', 'Preferred-Languages: de');
  t.not(gpg(home, ['--verify'], tampered).code, 0, 'a changed field fails verification');
  t.equal(gpg(home, ['--import'], readFileSync(join(dir, '.well-known/openpgpkey/hu', hash))).code, 0, 'gpg reads the WKD file');

  // A team's own policy.txt is kept; security.txt is re-signed with a new Expires.
  const later = new Date(now.getTime() + 86_400_000);
  const again = await writeTeamSite(dir, { ...siteOptions(instance, key, later), maxEmbargoDays: 90 });
  t.notOk(again.some((p) => p.endsWith('policy.txt')), 'policy.txt is not overwritten');
  t.notOk(again.some((p) => p.endsWith('provider-metadata.json')), 'nor the provider metadata');
  t.match(readFileSync(join(dir, '.well-known/security.txt'), 'utf8'), /^Expires: 2027-12-02T10:00:00Z$/m);
});

t.test('publication writes CSAF beside OSV and CVE, the provider directory and the well-known files', async (t) => {
  const dir = tmp(t);
  const key = await team();
  const site = siteOptions(instance, key, now);
  const old = process.umask(0o077);
  try {
    await publishAdvisory(loadAdvisory(fixture('minimal.yaml')), dir, { site });
    await publishAdvisory(loadAdvisory(exampleYaml), dir, { site });
  } finally {
    process.umask(old);
  }
  const csaf = readFileSync(join(dir, 'OSSA-2026-001.csaf.json'), 'utf8');
  const doc = JSON.parse(csaf) as { document: { publisher: { name: string; namespace: string }; references: Array<{ category: string; url: string }> } };
  t.same(doc.document.publisher, { category: 'coordinator', name: 'Example Security Team', namespace: 'https://example.org', contact_details: 'security@example.org' });
  t.equal(doc.document.references[0]?.url, 'https://example.org/.well-known/csaf/white/2026/ossa-2026-001.json');
  const tlp = join(dir, '.well-known/csaf/white');
  t.equal(readFileSync(join(tlp, '2026/ossa-2026-001.json'), 'utf8'), csaf, 'the same document in the provider layout');
  const sha = spawnSync('sha512sum', ['-c', 'ossa-2026-001.json.sha512'], { cwd: join(tlp, '2026') });
  t.equal(sha.status, 0, `sha512sum -c: ${sha.stdout.toString()}${sha.stderr.toString()}`);
  t.equal(readFileSync(join(tlp, 'index.txt'), 'utf8'), '2026/ossa-2026-001.json\n2026/sec-2026-0007.json\n');
  t.equal(readFileSync(join(tlp, 'changes.csv'), 'utf8'), '"2026/ossa-2026-001.json","2026-03-16T00:00:00.000Z"\n"2026/sec-2026-0007.json","2026-01-20T00:00:00.000Z"\n');
  const pm = JSON.parse(readFileSync(join(dir, '.well-known/csaf/provider-metadata.json'), 'utf8')) as Record<string, any>; // any: JSON
  t.equal(pm.canonical_url, 'https://example.org/.well-known/csaf/provider-metadata.json');
  t.equal(pm.role, 'csaf_publisher');
  t.equal(pm.last_updated, '2026-03-16T00:00:00.000Z');
  t.same(pm.public_openpgp_keys, [{ fingerprint: key.fingerprint.toUpperCase(), url: 'https://example.org/team.asc' }]);

  const home = tmp(t, 'vmtd-gpg-csaf-');
  gpg(home, ['--import', join(dir, 'team.asc')]);
  const v = gpg(home, ['--verify', join(tlp, '2026/ossa-2026-001.json.asc'), join(tlp, '2026/ossa-2026-001.json')]);
  t.equal(v.code, 0, `gpg verifies the CSAF document's detached signature: ${v.err}`);
  t.ok(existsSync(join(dir, '.well-known/security.txt')), 'publication rewrites security.txt');

  const walk = (p: string): void => {
    const s = statSync(p);
    if (s.isDirectory()) {
      t.equal(s.mode & 0o777, 0o755, `${p} 0755`);
      for (const e of spawnSync('ls', ['-A', p]).stdout.toString().split('\n').filter(Boolean)) walk(join(p, e));
    } else t.equal(s.mode & 0o777, 0o644, `${p} 0644`);
  };
  walk(dir);
});
