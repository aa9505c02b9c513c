// The metrics endpoint counts what happened, in Prometheus text format, without content.
import t from 'tap';
import { plainMail } from './helpers/mails.js';
import { startTestVmtd } from './helpers/vmtd.js';

t.test('GET /metrics reports messages, outgoing mail, outbox depth and cases by state', async (t) => {
  const v = await startTestVmtd({ extraConfig: 'metrics: { enabled: true, port: 0 }' });
  t.teardown(() => v.stop());
  await v.send(plainMail({ from: 'r@reporter.example', to: 'security@example.org', subject: 'METRIC-SECRET' }, 'METRIC-SECRET body'), { from: 'r@reporter.example', to: ['security@example.org'] });
  await v.settle();
  const res = await fetch(`http://127.0.0.1:${v.daemon.metricsPort}/metrics`);
  t.equal(res.status, 200);
  const text = await res.text();
  t.match(text, /vmtd_messages_received_total\{state="done"\} 1/);
  t.match(text, /vmtd_outgoing_total\{kind="relay",state="sent"\} 2/, 'relayed to the two coordinators');
  t.match(text, /vmtd_outgoing_total\{kind="ack",state="sent"\} 1/);
  t.match(text, /vmtd_outbox_depth 0/);
  t.match(text, /vmtd_cases\{state="new"\} 1/);
  t.notMatch(text, /METRIC-SECRET/);
  t.equal((await fetch(`http://127.0.0.1:${v.daemon.metricsPort}/other`)).status, 404);
});
