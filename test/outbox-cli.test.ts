// The operator's console (issue 17): vmtd outbox list|retry and vmtd case events.
import t from 'tap';
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { childConfig, freePort, vmtd, vmtdBin } from './helpers/child.js';
import { plainMail } from './helpers/mails.js';
import { startSmartHost } from './helpers/smarthost.js';

const SECRET = 'console-secret-detail-7781';

/** The CLI as a child process without blocking this one (the smart host answers from here). */
function vmtdAsync(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [vmtdBin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((ok) => child.on('close', (code) => ok({ code, stdout, stderr })));
}

t.test('outbox list and retry, case events', async (t) => {
  const host = await startSmartHost();
  const { dir, file } = childConfig(await freePort());
  const yaml = readFileSync(file, 'utf8').replace(/^delivery: .*$/m, `delivery: { transport: smtp, smtp: { host: 127.0.0.1, port: ${host.port}, secure: false } }`);
  writeFileSync(file, yaml);
  t.teardown(async () => {
    await host.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const cfg = ['--config', file];
  t.equal(vmtd(['init', ...cfg]).code, 0);
  // The reporter's mailbox refuses mail for now: the acknowledgement fails permanently.
  host.answer = (to) => (to.includes('rita@reporter.example') ? 550 : 250);
  const report = join(dir, 'report.eml');
  writeFileSync(report, plainMail({ from: 'rita@reporter.example', to: 'security@example.org', subject: 'overflow' }, SECRET));
  t.equal(vmtd(['ingest', report, '--sender', 'rita@reporter.example', ...cfg]).code, 0);
  const ticked = await vmtdAsync(['tick', ...cfg]);
  t.equal(ticked.code, 0, ticked.stderr);

  const all = vmtd(['outbox', 'list', '--json', ...cfg]);
  t.equal(all.code, 0, all.stderr);
  t.notMatch(all.stdout, SECRET, 'no content');
  t.notMatch(all.stdout, /BEGIN PGP|raw/, 'no message data');
  const rows = JSON.parse(all.stdout) as Array<Record<string, unknown>>;
  t.ok(rows.length >= 3, `an ack and relays to the coordinators (${rows.length} rows)`);
  for (const k of ['id', 'caseId', 'kind', 'rcpt', 'state', 'attempts', 'lastError', 'createdAt', 'nextAttemptAt']) t.ok(k in rows[0]!, `has ${k}`);
  const failed = JSON.parse(vmtd(['outbox', 'list', '--state', 'failed', '--json', ...cfg]).stdout) as Array<Record<string, unknown>>;
  t.match(failed, [{ kind: 'ack', rcpt: 'rita@reporter.example', state: 'failed', attempts: 1, lastError: /550/, caseId: /^SEC-\d{4}-\d{4}$/ }]);
  const ack = failed[0]!;
  const caseId = ack.caseId as string;
  t.ok(rows.filter((r) => r.state === 'sent').length >= 2, 'the relays went out');

  const human = vmtd(['outbox', 'list', '--state', 'failed', ...cfg]);
  t.match(human.stdout, /^ID\s+CASE\s+KIND\s+RCPT\s+STATE\s+ATTEMPTS\s+CREATED\s+NEXT\s+LAST ERROR$/m);
  t.match(human.stdout, new RegExp(`^${String(ack.id)}\\s+${caseId}\\s+ack\\s+rita@reporter\\.example\\s+failed\\s+1\\s+\\S+\\s+-\\s+smtp: 550`, 'm'));
  t.equal(vmtd(['outbox', 'list', '--state', 'lost', ...cfg]).code, 64, 'an unknown state is a usage error');

  // The mailbox works again; the operator retries the failed delivery.
  host.answer = () => 250;
  const retried = vmtd(['outbox', 'retry', String(ack.id), ...cfg]);
  t.equal(retried.code, 0, retried.stderr);
  t.match(retried.stdout, new RegExp(`outbox ${String(ack.id)} \\(failed\\) is due now`));
  t.match(JSON.parse(vmtd(['outbox', 'list', '--state', 'queued', '--json', ...cfg]).stdout), [{ id: ack.id, state: 'queued', attempts: 1, lastError: /550/ }], 'queued again, attempts kept');
  t.equal((await vmtdAsync(['tick', ...cfg])).code, 0);
  t.match(JSON.parse(vmtd(['outbox', 'list', '--json', ...cfg]).stdout).find((r: { id: number }) => r.id === ack.id), { state: 'sent', attempts: 2, lastError: null });
  t.ok(host.received.some((m) => m.to.includes('rita@reporter.example')), 'the acknowledgement arrived');
  const again = vmtd(['outbox', 'retry', String(ack.id), ...cfg]);
  t.equal(again.code, 65, 'a sent delivery is not retried');
  t.match(again.stderr, /is sent, not failed or queued/);
  t.equal(vmtd(['outbox', 'retry', '99999', ...cfg]).code, 66);
  t.equal(vmtd(['outbox', 'retry', 'x', ...cfg]).code, 64);

  // The case's history, with the retry in it.
  const ev = vmtd(['case', 'events', caseId, '--json', ...cfg]);
  t.equal(ev.code, 0, ev.stderr);
  const events = JSON.parse(ev.stdout) as Array<Record<string, unknown>>;
  t.ok(events.length >= 2, 'the opening and the retry');
  t.match(events.at(-1), { actor: /^cli:/, kind: 'outbox-retry', detail: { outbox: ack.id, kind: 'ack', was: 'failed', attempts: 1 } });
  for (const k of ['at', 'actor', 'kind', 'detail']) t.ok(k in events[0]!, `event has ${k}`);
  t.notMatch(ev.stdout, SECRET);
  const evHuman = vmtd(['case', 'events', caseId.toLowerCase(), ...cfg]);
  t.equal(evHuman.code, 0);
  t.match(evHuman.stdout, /^\S+Z {2}cli:\S+ {2}outbox-retry {2}\{"outbox":/m);
  t.equal(vmtd(['case', 'events', 'SEC-1999-0001', ...cfg]).code, 66);
});

