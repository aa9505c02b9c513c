// `vmtd doctor` says what is wrong and how to fix it; exit 1 when something fails.
import t from 'tap';
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { childConfig, freePort, vmtd } from './helpers/child.js';
import { pubKeyFile } from './helpers/gpg.js';

t.test('a good setup passes; bad permissions, an expired member key and a dead smart host are named', async (t) => {
  const { dir, file } = childConfig(await freePort());
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
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
