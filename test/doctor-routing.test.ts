// Issue 17: `vmtd doctor` warns when coordinators' addresses are in the team's own domain and
// vmtd's outgoing mail goes through an SMTP server (usually the MTA in front of vmtd, which must
// still deliver the domain's other mailboxes).
import t from 'tap';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { childConfig, freePort, vmtd } from './helpers/child.js';

t.test('doctor: coordinators in the team domain behind the same MTA', async (t) => {
  const { dir, file } = childConfig(await freePort());
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const maildir = vmtd(['doctor', '--config', file]);
  t.notMatch(maildir.stdout, /in the team domain/, 'maildir delivery: nothing to say');
  const port = await freePort();
  writeFileSync(file, readFileSync(file, 'utf8').replace(/^delivery: .*$/m, `delivery: { transport: smtp, smtp: { host: 127.0.0.1, port: ${port} } }`));
  const r = vmtd(['doctor', '--config', file]);
  t.match(r.stdout, new RegExp(`^warn  coordinator alice@example\\.org, coordinator bob@example\\.org in the team domain example\\.org, and delivery goes through 127\\.0\\.0\\.1:${port}: .* — make sure the MTA accepts and delivers them \\(README "Postfix in front"`, 'm'));
  t.notMatch(r.stdout, /^warn .*maint@libfoo\.example/m, 'other domains are not named');
});
