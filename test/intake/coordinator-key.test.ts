// One coordinator with an unusable key (expired, revoked, sign-only) must not stop anything: reports
// open cases and reach the others; that coordinator gets nothing in clear; the others are told once.
import t from 'tap';
import { emailOf, type Person } from '../helpers/gpg.js';
import { pgpMime, textPart } from '../helpers/mails.js';
import { readAs } from '../helpers/commands.js';
import { startTestVmtd } from '../helpers/vmtd.js';
import { caseList } from '../../src/store/case-view.js';

for (const bad of ['expired', 'revoked', 'signonly'] as Person[]) {
  t.test(`bob configured with a ${bad} key: every report still opens a case; alice is told once`, async (t) => {
    const v = await startTestVmtd({ coordinatorKeys: { bob: bad } });
    t.teardown(() => v.stop());
    let toldAlice = 0;
    for (let i = 0; i < 3; i++) {
      const raw = pgpMime({ from: emailOf.rita, to: 'security@example.org', subject: `report ${i}` }, v.gpg('rita').encrypt(textPart(`report number ${i}`), [v.daemon.ctx.team.fingerprint]));
      t.equal((await v.send(raw, { from: emailOf.rita, to: ['security@example.org'] })).code, 250);
      await v.settle();
      const out = v.take();
      t.notOk(out.some((d) => d.to === 'bob@example.org'), `report ${i}: bob receives nothing (never in clear)`);
      const alice = out.filter((d) => d.to === 'alice@example.org').map((d) => readAs(v, 'alice', d));
      t.ok(alice.some((x) => x.includes(`report number ${i}`)), `report ${i}: alice reads it`);
      toldAlice += alice.filter((x) => x.includes('coordinator bob@example.org receives nothing')).length;
    }
    t.equal(caseList(v.daemon.ctx.db, v.daemon.ctx.sealer).length, 3, 'three cases, none quarantined');
    t.equal((v.daemon.ctx.db.prepare("SELECT COUNT(*) AS n FROM spool WHERE state = 'quarantined'").get() as { n: number }).n, 0);
    t.equal(toldAlice, 1, 'alice is told about bob once');
  });
}
