// `vmtd doctor` says what is wrong and how to fix it; exit 1 when something fails. It creates and
// changes nothing, and an I/O problem is a FAIL line with the fix, never a stack trace.
import t from 'tap';
import { createHash } from 'node:crypto';
import { chmodSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { childConfig, freePort, vmtd } from './helpers/child.js';
import Database from 'better-sqlite3';
import { pubKeyFile } from './helpers/gpg.js';

t.test('a good setup passes; bad permissions, an expired member key and a dead smart host are named', async (t) => {
  const { dir, file } = childConfig(await freePort());
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  t.equal(vmtd(['init', '--config', file]).code, 0);
  const good = vmtd(['doctor', '--config', file]);
  t.equal(good.code, 0, good.stdout);
  t.match(good.stdout, /ok\s+database integrity_check: ok/);
  t.match(good.stdout, /ok\s+coordinator alice@example\.org: key [0-9A-F]{40}/);
  t.match(good.stdout, /no problems found/);

  chmodSync(join(dir, 'data', 'team.key'), 0o644);
  const perm = vmtd(['doctor', '--config', file]);
  t.equal(perm.code, 1);
  t.match(perm.stdout, /FAIL\s+\S+team\.key is mode 644: readable by others — chmod 600 \S+team\.key/);
  chmodSync(join(dir, 'data', 'team.key'), 0o600);

  const yaml = readFileSync(file, 'utf8');
  const closed = await freePort();
  writeFileSync(
    file,
    yaml
      .replace(/^delivery: .*$/m, `delivery: { transport: smtp, smtp: { host: 127.0.0.1, port: ${closed} } }`)
      .replace('stakeholders:', `  - id: libbar\n    contacts:\n      - { name: Eve, email: eve@libfoo.example, key: ${pubKeyFile('expired')} }\nstakeholders:`),
  );
  const bad = vmtd(['doctor', '--config', file]);
  t.equal(bad.code, 1);
  t.match(bad.stdout, /FAIL\s+contact of libbar eve@libfoo\.example: key has expired — /);
  t.match(bad.stdout, new RegExp(`FAIL\\s+smart host 127\\.0\\.0\\.1:${closed}: .*— check delivery\\.smtp`));
});

/** Every path under `dir` with its size and a digest of its content: what "nothing changed" means. */
function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) {
        out.push(`${p}/`);
        walk(p);
      } else out.push(`${p} ${st.size} ${createHash('sha256').update(readFileSync(p)).digest('hex').slice(0, 16)}`);
    }
  };
  walk(dir);
  return out;
}

t.test('doctor creates nothing: not in a fresh directory, not in an initialised one', async (t) => {
  const { dir, file } = childConfig(await freePort());
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const fresh = snapshot(dir);
  const r = vmtd(['doctor', '--config', file]);
  t.same(snapshot(dir), fresh, 'no data directory, database or team key made');
  t.equal(r.code, 0, r.stdout);
  t.match(r.stdout, /warn\s+data directory \S+ does not exist yet — vmtd init \(or vmtd serve\) creates it/);
  t.match(r.stdout, /ok\s+coordinator alice@example\.org: key [0-9A-F]{40}/, 'configured keys are still checked, from their files');

  t.equal(vmtd(['init', '--config', file]).code, 0);
  const initialised = snapshot(dir);
  const again = vmtd(['doctor', '--config', file]);
  t.equal(again.code, 0, again.stdout);
  t.match(again.stdout, /ok\s+database integrity_check: ok/);
  t.same(snapshot(dir), initialised, 'the database is read, never written (no -wal/-shm left behind, no migration)');
});

t.test('a data directory that is a file, or behind a file: FAIL lines with the fix, exit 1, no stack trace', async (t) => {
  const { dir, file } = childConfig(await freePort());
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'data'), 'a regular file');
  const r = vmtd(['doctor', '--config', file]);
  t.equal(r.code, 1);
  t.match(r.stdout, new RegExp(`^FAIL  data directory ${dir}/data is not a directory — instance\\.dataDir must name a directory`, 'm'));
  t.notMatch(r.stdout + r.stderr, /^\s+at /m, 'no stack trace');
  t.equal(r.stderr, '');

  writeFileSync(file, readFileSync(file, 'utf8').replace(`dataDir: ${dir}/data`, `dataDir: ${dir}/data/state`));
  const behind = vmtd(['doctor', '--config', file]);
  t.equal(behind.code, 1);
  t.match(behind.stdout, /^FAIL {2}cannot look at data directory \S+\/data\/state: ENOTDIR: .* — a file stands where a directory should be/m);
  t.notMatch(behind.stdout + behind.stderr, /^\s+at /m, 'no stack trace');
});

t.test("registry contacts' pinned keys and the CNA's key: missing or unusable ones are warnings with the fix", async (t) => {
  const { dir, file } = childConfig(await freePort(), 'cve: { cna: { name: Test CNA, email: eve@libfoo.example, keyFile: ' + pubKeyFile('expired') + ' } }');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  t.equal(vmtd(['init', '--config', file]).code, 0);
  const add = vmtd(['project', 'add', 'libbaz', '--name', 'Lib Baz', '--contact', 'carol@libfoo.example', '--key', pubKeyFile('carol'), '--contact', 'mallory@evil.example', '--key', pubKeyFile('mallory'), '--config', file]);
  t.equal(add.code, 0, add.stderr);
  // mallory's pinned key is no longer in the keyring (as when the keys table lost it): pinned to a key vmtd does not have
  const db = new Database(join(dir, 'data', 'vmtd.sqlite'));
  db.prepare("UPDATE project_contacts SET fingerprint = ? WHERE email = 'mallory@evil.example'").run('F'.repeat(40));
  db.close();
  const r = vmtd(['doctor', '--config', file]);
  t.equal(r.code, 0, 'warnings, not failures: the daemon runs and tells the coordinators');
  t.match(r.stdout, new RegExp(`warn\\s+registry contact mallory@evil\\.example of libbaz: its pinned key ${'F'.repeat(40)} is not in the keyring — they get no mail for libbaz's cases until it is fixed: get a current key and pin it \\(vmtd project update libbaz --contact mallory@evil\\.example --key FILE`));
  t.notMatch(r.stdout, /registry contact carol@libfoo\.example/, 'a good contact key is no warning');
  t.match(r.stdout, /warn\s+CNA Test CNA <eve@libfoo\.example>: (key [0-9A-F]{40}: key has expired|no key is pinned) — CVE requests go out as reservation requests without case details/);
});
