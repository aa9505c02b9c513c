// Issue 15 (errata, the public site) and issue 17 (`vmtd publish --rebuild`), by email with gpg on
// one daemon: the published page shows severity, fixed versions, CWE, the team and a link to the
// clear-signed text; links are absolute; the mail of a non-OpenStack team never says "OSSA"; a
// newer approved revision is published as errata (site, records, lists and the told stakeholder);
// the compiled CLI rebuilds a deleted publicDir byte for byte. Run `npx tsc` first (dist/).
import t, { type Test } from 'tap';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pgpMime, textPart } from '../helpers/mails.js';
import { sendCommand } from '../helpers/commands.js';
import { vmtd } from '../helpers/child.js';
import { encryptedPayload, startTestVmtd, type Delivered, type TestVmtd } from '../helpers/vmtd.js';
import type { Person } from '../helpers/gpg.js';
import { caseList, caseView } from '../../src/store/case-view.js';
import { longDate } from '../../src/advisories/view.js';
import { commands } from '../../src/cli/commands.js';
import { parseConfig } from '../../src/config/load.js';

const MIN = 60_000;
const DAY = 86_400_000;
const DISTROS = 'linux-distros@vs.openwall.example';
const OSS = 'oss-security@lists.openwall.example';
const ID = 'SEC-2026-0401';
const yaml = (o: { title: string; fixed: string; errata?: string }): string => `id: ${ID}
class: A
date: 2026-01-20
title: ${o.title}
description: |
  A crafted header makes libfoo write past the end of a heap buffer.
  Details: https://bugs.example.org/1234.
affected-products:
  - product: libfoo
    version: ">=1.2.0 <${o.fixed}"
vulnerabilities:
  - cve-id: CVE-2026-10401
    cwe: CWE-787
    cvss: CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H
reporters:
  - name: Ann Reporter
issues:
  links:
    - https://bugs.example.org/1234
${o.errata ? `errata: ${o.errata}\n` : ''}`;

const to = (out: Delivered[], rcpt: string): Delivered[] => out.filter((d) => d.to === rcpt);
const embargoText = (d: Date): string => new Date(Math.ceil(d.getTime() / MIN) * MIN).toISOString().slice(0, 16).replace('T', ' ') + ' UTC';

function read(t: Test, v: TestVmtd, who: Person, d: Delivered): string {
  const r = v.gpg(who).decrypt(encryptedPayload(d.raw));
  t.equal(r.code, 0, `gpg as ${who} decrypts`);
  t.match(r.status, `VALIDSIG ${v.daemon.ctx.team.fingerprint}`, `${who} verifies the team signature`);
  return r.stdout.toString();
}

/** A clear-signed text (the public mail or ID.txt.asc), verified by someone holding only the team key. */
function verifyClear(t: Test, v: TestVmtd, text: string, what: string): string {
  const signed = text.slice(text.indexOf('-----BEGIN PGP SIGNED MESSAGE-----'));
  const r = v.gpg('mallory').verify(signed);
  t.equal(r.code, 0, `gpg --verify of ${what} succeeds`);
  t.match(r.status, `VALIDSIG ${v.daemon.ctx.team.fingerprint}`, `${what}: the team's signature`);
  return signed.replace(/\r\n/g, '\n');
}

/** Every file under a directory, relative path → bytes. */
function snapshot(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(relative(dir, p), readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

function modes(t: Test, dir: string): void {
  const bad: string[] = [];
  const walk = (d: string): void => {
    if ((statSync(d).mode & 0o777) !== 0o755) bad.push(`${d} ${(statSync(d).mode & 0o777).toString(8)}`);
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if ((statSync(p).mode & 0o777) !== 0o644) bad.push(`${p} ${(statSync(p).mode & 0o777).toString(8)}`);
    }
  };
  walk(dir);
  t.same(bad, [], 'directories 0755, files 0644');
}

const v = await startTestVmtd({ now: new Date(), extraConfig: 'policy: { ackPerSenderPerHour: 1000 }\nschedule: { digest: "0 0 29 2 *" }' });
t.teardown(() => v.stop());
const pub = (f: string): string => readFileSync(join(v.config.instance.publicDir, f), 'utf8');
const json = <T>(f: string): T => JSON.parse(pub(f)) as T;
const day0 = v.clock.now.toISOString().slice(0, 10);
const day1 = new Date(v.clock.now.getTime() + DAY).toISOString().slice(0, 10);
let caseId = '';

t.test('published: the page a reader needs, absolute links, the team, the signed text, no "OSSA"', async (t) => {
  const raw = pgpMime({ from: 'rita@reporter.example', to: 'security@example.org', subject: 'overflow' }, v.gpg('rita').encrypt(textPart('Project: libfoo\n\ndetails'), [v.daemon.ctx.team.fingerprint]));
  await v.send(raw, { from: 'rita@reporter.example', to: ['security@example.org'] });
  await v.settle();
  v.take();
  caseId = caseList(v.daemon.ctx.db, v.daemon.ctx.sealer).at(-1)!.id;
  const embargo = new Date(v.clock.now.getTime() + 3 * DAY);
  const r = await sendCommand(v, 'alice', caseId, `X-CASE: ${caseId}\nX-STATE: accepted\nX-SEVERITY: high\nX-EMBARGO: ${embargoText(embargo)}\nX-NOTIFY: distros\nX-ADVISORY\nX-APPROVE`, {
    files: { 'advisory.yaml': yaml({ title: 'libfoo heap overflow in the header parser', fixed: '1.4.3' }) },
  });
  t.notMatch(r.answer, /FAILED/);
  t.equal(to(r.out, DISTROS).length, 1, 'the stakeholder is told (short notice)');
  const p = await sendCommand(v, 'alice', caseId, `X-CASE: ${caseId}\nX-PUBLISH`);
  const mail = to(p.out, OSS);
  t.equal(mail.length, 1, 'published now');
  const text = verifyClear(t, v, mail[0]!.raw.toString(), 'the public advisory');
  t.notMatch(text, /OSSA/, 'a non-OpenStack team\'s mail never says OSSA');
  t.match(text, /^History\n~~~~~~~\n/m);

  const page = pub(`${ID}.html`);
  t.match(page, '<dd class="severity">HIGH</dd>', 'severity: the case\'s, before the CVSS one (critical)');
  t.match(page, /<td class="fixed"><code>1\.4\.3<\/code><\/td>/, 'the fixed version');
  t.match(page, '<a href="https://cwe.mitre.org/data/definitions/787.html">CWE-787</a>: Out-of-bounds Write', 'CWE with its name and link');
  t.match(page, 'Details: <a href="https://bugs.example.org/1234">https://bugs.example.org/1234</a>.', 'a URL in the text is a link');
  t.match(page, `<dd class="published"><time datetime="${day0}">${longDate(day0)}</time></dd>`);
  t.notMatch(page, 'class="updated"', 'no update yet');
  t.match(page, '<dd class="team">Example Security Team</dd>');
  t.match(page, `<a class="signed" href="${ID}.txt.asc">`, 'links the clear-signed text');
  const asc = verifyClear(t, v, pub(`${ID}.txt.asc`), `${ID}.txt.asc`);
  t.equal(asc.slice(0, asc.indexOf('-----BEGIN PGP SIGNATURE-----')), text.slice(0, text.indexOf('-----BEGIN PGP SIGNATURE-----')), 'ID.txt.asc signs the text that was mailed');

  const feed = pub('feed.xml');
  t.match(feed, '<link rel="self" href="https://example.org/feed.xml"/>', 'the feed\'s self link is absolute (instance.publicUrl, default https://DOMAIN/)');
  t.match(feed, `<link rel="alternate" type="text/html" href="https://example.org/${ID}.html"/>`);
  t.match(feed, '<author><name>Example Security Team</name></author>', 'the team, not "Security team"');
  const index = pub('index.html');
  t.match(index, `<a href="https://example.org/${ID}.html">`);
  t.match(index, '<h1>Security advisories of Example Security Team</h1>');
  const osv = json<{ references: Array<{ type: string; url: string }> }>(`${ID}.osv.json`);
  t.ok(osv.references.some((x) => x.type === 'ADVISORY' && x.url === `https://example.org/${ID}.html`), 'OSV references the page');
  const cve = json<{ containers: { cna: { references: Array<{ url: string; tags?: string[] }> } } }>('CVE-2026-10401.json');
  t.ok(cve.containers.cna.references.some((x) => x.url === `https://example.org/${ID}.html` && x.tags?.includes('vendor-advisory')), 'the CVE record references the page');
  modes(t, v.config.instance.publicDir);
});

t.test('errata: a newer approved revision is published: site, records, lists and the told stakeholder', async (t) => {
  v.clock.now = new Date(v.clock.now.getTime() + DAY);
  const e = await sendCommand(v, 'alice', caseId, `X-CASE: ${caseId}\nX-ADVISORY\nX-APPROVE`, {
    files: { 'advisory.yaml': yaml({ title: 'libfoo heap overflow in the header parser (corrected)', fixed: '1.4.4', errata: 'The fix is in 1.4.4, not 1.4.3.' }) },
  });
  t.match(e.answer, /revision 2 approved/);
  const lists = to(e.out, OSS);
  t.equal(lists.length, 1, 'the correction goes to the public list');
  t.match(lists[0]!.subject, `[${ID}] Errata 1: libfoo: libfoo heap overflow in the header parser (corrected) (CVE-2026-10401)`);
  const text = verifyClear(t, v, lists[0]!.raw.toString(), 'the errata mail');
  t.match(text, `:Date: ${longDate(day0)}`, 'still dated the original publication');
  t.match(text, `- ${day1} - Errata 1`, 'the history names the errata, dated the day it went out');
  t.match(text, 'The fix is in 1.4.4, not 1.4.3.');
  const told = to(e.out, DISTROS);
  t.equal(told.length, 1, 'the stakeholder that got the pre-disclosure gets the correction');
  t.match(told[0]!.subject, /^\[vs\] \[SEC-\d{4}-\d{4}\] advisory errata$/, 'outer subject');
  const st = read(t, v, 'distros', told[0]!);
  t.match(st, 'has been corrected (errata 1)');
  t.match(st, '>=1.2.0 <1.4.4');

  const page = pub(`${ID}.html`);
  t.match(page, `<dd class="updated"><time datetime="${day1}">${longDate(day1)}</time></dd>`, 'the updated date');
  t.match(page, /<h2>Errata \(updated/, 'an errata section');
  t.match(page, 'The fix is in 1.4.4, not 1.4.3.');
  t.match(page, /<td class="fixed"><code>1\.4\.4<\/code><\/td>/);
  t.match(page, `<dd class="published"><time datetime="${day0}">`);
  t.match(pub('index.html'), `updated <time datetime="${day1}">`);
  const feed = pub('feed.xml');
  t.match(feed, `<published>${day0}T00:00:00Z</published>\n<updated>${day1}T00:00:00Z</updated>`, 'the feed entry is updated');
  t.match(feed, '(corrected)');
  const osv = json<{ published: string; modified: string; affected: unknown }>(`${ID}.osv.json`);
  t.same([osv.published, osv.modified], [`${day0}T00:00:00Z`, `${day1}T00:00:00Z`], 'OSV published kept, modified moved');
  const cve = json<{ cveMetadata: { datePublished: string; dateUpdated: string } }>('CVE-2026-10401.json');
  t.same([cve.cveMetadata.datePublished, cve.cveMetadata.dateUpdated], [`${day0}T00:00:00.000Z`, `${day1}T00:00:00.000Z`], 'CVE dateUpdated');
  const csaf = json<{ document: { tracking: { version: string; revision_history: unknown[] } } }>(`${ID}.csaf.json`);
  t.equal(csaf.document.tracking.version, '2', 'CSAF version bumped');
  t.equal(csaf.document.tracking.revision_history.length, 2);
  t.match(verifyClear(t, v, pub(`${ID}.txt.asc`), 'the new ID.txt.asc'), '(corrected)');
  t.match(caseView(v.daemon.ctx.db, v.daemon.ctx.sealer, caseId), { state: 'published', advisory: { state: 'published', revision: 2 } });
  modes(t, v.config.instance.publicDir);

  v.clock.now = new Date(v.clock.now.getTime() + 3600_000);
  await v.settle();
  t.same(v.take(), [], 'sent once');
});

t.test('vmtd publish --rebuild (compiled CLI): a deleted publicDir comes back, the same bytes', async (t) => {
  const file = join(v.dir, 'vmtd.yaml');
  const publicDir = v.config.instance.publicDir;
  const before = snapshot(publicDir);
  rmSync(publicDir, { recursive: true, force: true });
  const r = vmtd(['publish', '--rebuild', '--json', '--config', file]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stderr, `rebuilt 1/1 ${ID}`, 'progress on stderr');
  t.match(JSON.parse(r.stdout), { advisories: [ID], kept: [] });
  const after = snapshot(publicDir);
  // Signatures are made anew (salted), and security.txt is re-signed with a new Expires.
  const signed = (f: string): boolean => f.endsWith('.asc') || f === '.well-known/security.txt';
  t.same([...after.keys()].sort(), [...before.keys()].sort(), 'every file is back');
  t.same([...before.keys()].filter((f) => !signed(f) && !before.get(f)!.equals(after.get(f) ?? Buffer.alloc(0))), [], 'byte-identical, signatures apart');
  verifyClear(t, v, after.get(`${ID}.txt.asc`)!.toString(), 'the rebuilt ID.txt.asc');
  t.match(after.get(`${ID}.html`)!.toString(), 'The fix is in 1.4.4', 'the errata revision');
  modes(t, publicDir); // the CLI runs with umask 0077

  // The next runs in process (a CLI start costs seconds on a busy machine); the same command.
  const run = async (configFile: string): Promise<number> =>
    commands.publish!.run({ config: parseConfig(readFileSync(configFile, 'utf8'), configFile), clock: () => new Date(), args: [], values: { rebuild: true }, out: () => undefined });
  t.equal(await run(file), 0);
  const third = snapshot(publicDir);
  t.same([...after.keys()].filter((f) => f !== '.well-known/security.txt' && !after.get(f)!.equals(third.get(f)!)), [], 'idempotent: a second rebuild changes nothing (security.txt apart)');

  // Another URL, team name and template directory: the links, the author and the wording follow.
  mkdirSync(join(v.dir, 'tpl/advisory'), { recursive: true });
  writeFileSync(join(v.dir, 'tpl/advisory/index.html'), '<!DOCTYPE html><title>ours</title><p>OUR INDEX of {{teamName}}</p>\n');
  const moved = join(v.dir, 'moved.yaml');
  writeFileSync(moved, `${readFileSync(file, 'utf8').replace('  domain: example.org\n', '  domain: example.org\n  publicUrl: https://sec.example.net/adv\n').replace('name: Example Security Team', 'name: Libfoo Response Team')}\nadvisories: { templatesDir: tpl }\n`);
  t.equal(await run(moved), 0);
  t.match(pub('feed.xml'), '<link rel="self" href="https://sec.example.net/adv/feed.xml"/>');
  t.match(pub('feed.xml'), '<author><name>Libfoo Response Team</name></author>');
  t.ok(json<{ references: Array<{ url: string }> }>(`${ID}.osv.json`).references.some((x) => x.url === `https://sec.example.net/adv/${ID}.html`), 'OSV follows publicUrl');
  t.equal(pub('index.html'), '<!DOCTYPE html><title>ours</title><p>OUR INDEX of Libfoo Response Team</p>\n', 'the team\'s own index template');
  t.match(pub(`${ID}.html`), '<dd class="team">Libfoo Response Team</dd>', 'templates it lacks are ours');

  // In process (a CLI start costs a second): the help, and the usage error without --rebuild.
  t.match(await commands.publish!.help(), 'usage: vmtd publish --rebuild');
  await t.rejects(commands.publish!.run({ config: v.config, clock: () => v.clock.now, args: [], values: {}, out: () => undefined }), { code: 64 }, 'without --rebuild: usage error');
  t.ok(existsSync(join(publicDir, '.well-known/openpgpkey/policy')), 'WKD written');
});
