// When processing falls behind, new mail is deferred with 451 instead of the spool growing without bound.
import t from 'tap';
import { plainMail } from '../helpers/mails.js';
import { startTestVmtd } from '../helpers/vmtd.js';

t.test('beyond smtp.maxBacklog unprocessed messages, MAIL FROM gets 451; accepted again once processed', async (t) => {
  const v = await startTestVmtd();
  t.teardown(() => v.stop());
  v.config.smtp.maxBacklog = 2;
  await v.daemon.pipeline.stop();
  const mail = (i: number) => plainMail({ from: 'a@b.example', to: 'security@example.org', subject: `m${i}` }, 'x');
  t.equal((await v.send(mail(1), { from: 'a@b.example', to: ['security@example.org'] })).code, 250);
  t.equal((await v.send(mail(2), { from: 'a@b.example', to: ['security@example.org'] })).code, 250);
  const third = await v.send(mail(3), { from: 'a@b.example', to: ['security@example.org'] });
  t.equal(third.code, 451, 'deferred: the sender retries later');
  t.match(third.response, /try again later/);
  const rows = v.daemon.ctx.db.prepare('SELECT COUNT(*) AS n FROM spool').get() as { n: number };
  t.equal(rows.n, 2, 'nothing half-accepted');
});
