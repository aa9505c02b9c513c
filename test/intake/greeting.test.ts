// Issue 16: the SMTP greeting waits neither for a reverse DNS lookup of the client nor for
// smtp-server's 100 ms early-talker pause. Correctness, not timing (the time to the 220 is a figure
// of `npm run bench`): with a resolver that never answers, the 220 still comes and smtp-server
// never asked it; no 100 ms timer stands between the connection and its greeting.
import t, { type Test } from 'tap';
import dns from 'node:dns';
import { connect } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { greetAtOnce, greetingOptions, logClientHostname } from '../../src/intake/smtp.js';
import { startTestVmtd, type TestVmtd } from '../helpers/vmtd.js';
import type { Logger } from '../../src/log.js';

/** Connects, reads the first reply line, says QUIT. */
function firstLine(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let text = '';
    let done = false;
    s.on('data', (d: Buffer) => {
      if (done) return;
      text += d.toString('latin1');
      const nl = text.indexOf('\r\n');
      if (nl < 0) return;
      done = true;
      resolve(text.slice(0, nl));
      s.end('QUIT\r\n');
    });
    s.on('error', reject);
    s.on('close', () => done || reject(new Error(`closed before a reply: ${JSON.stringify(text)}`)));
  });
}

/** A resolver that never answers, recording who asked. */
function hangingResolver(t: Test): { callbackAsked: string[]; promiseAsked: string[]; answer(names: string[]): void } {
  const callbackAsked: string[] = [];
  const promiseAsked: string[] = [];
  const waiting: Array<(names: string[]) => void> = [];
  const reverse = dns.reverse;
  const promiseReverse = dns.promises.reverse;
  dns.reverse = ((ip: string) => void callbackAsked.push(ip)) as typeof dns.reverse;
  dns.promises.reverse = (ip: string) => {
    promiseAsked.push(ip);
    return new Promise<string[]>((resolve) => waiting.push(resolve));
  };
  t.teardown(() => {
    dns.reverse = reverse;
    dns.promises.reverse = promiseReverse;
  });
  return { callbackAsked, promiseAsked, answer: (names) => waiting.splice(0).forEach((w) => w(names)) };
}

t.test('the intake turns smtp-server’s reverse lookup off', async (t) => {
  t.equal(greetingOptions.disableReverseLookup, true);
});

t.test('the 220 greeting comes without any reverse DNS answer', async (t) => {
  const resolver = hangingResolver(t);
  const v: TestVmtd = await startTestVmtd();
  t.teardown(() => v.stop());
  for (let i = 0; i < 3; i++) t.match(await firstLine(v.port), /^220 example\.org /, `greeting ${i + 1}`);
  t.same(resolver.callbackAsked, [], 'smtp-server never looked the client up');
  t.same(resolver.promiseAsked, [], 'nor did vmtd (the host name is only looked up for debug logging)');
  // And a whole transaction goes through with the resolver still silent.
  const sent = await v.send(Buffer.from('From: r@reporter.example\r\nTo: security@example.org\r\nSubject: hi\r\n\r\nhello\r\n'), { from: 'r@reporter.example', to: ['security@example.org'] });
  t.equal(sent.code, 250);
});

t.test('no 100 ms early-talker pause before the greeting', async (t) => {
  const v: TestVmtd = await startTestVmtd();
  t.teardown(() => v.stop());
  // Every timer smtp-server's connection code sets while a client connects and is greeted.
  const timers: number[] = [];
  const setTimeout0 = globalThis.setTimeout;
  globalThis.setTimeout = ((fn: () => void, ms?: number, ...args: unknown[]) => {
    if (/smtp-connection/.test(new Error().stack ?? '')) timers.push(ms ?? 0);
    return setTimeout0(fn, ms, ...args);
  }) as typeof setTimeout;
  t.teardown(() => void (globalThis.setTimeout = setTimeout0));
  t.match(await firstLine(v.port), /^220 /);
  globalThis.setTimeout = setTimeout0;
  t.notOk(timers.includes(100), `no 100 ms timer before the greeting (timers set: ${JSON.stringify(timers)})`);
  // greetAtOnce knows smtp-server's connection start (else it would leave it, pause and all).
  let unknown = false;
  const known = new SMTPServer({ logger: false, disableReverseLookup: true, authOptional: true });
  greetAtOnce(known, () => (unknown = true));
  await new Promise<void>((resolve) => known.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => known.close(() => resolve())));
  t.match(await firstLine((known.server.address() as { port: number }).port), /^220 /);
  t.equal(unknown, false, 'smtp-server starts connections as greetAtOnce expects');
  // Another server in the same process keeps smtp-server's own start.
  const other = new SMTPServer({ logger: false, disableReverseLookup: true, authOptional: true });
  await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => other.close(() => resolve())));
  const port = (other.server.address() as { port: number }).port;
  const paused: number[] = [];
  globalThis.setTimeout = ((fn: () => void, ms?: number, ...args: unknown[]) => {
    if (/smtp-connection/.test(new Error().stack ?? '')) paused.push(ms ?? 0);
    return setTimeout0(fn, ms, ...args);
  }) as typeof setTimeout;
  t.match(await firstLine(port), /^220 /);
  globalThis.setTimeout = setTimeout0;
  t.ok(paused.includes(100), 'a server not given to greetAtOnce still pauses (the change is per server)');
});

t.test('at debug level the host name is looked up after the greeting and only logged', async (t) => {
  const resolver = hangingResolver(t);
  const lines: Array<Record<string, unknown>> = [];
  const log = { isLevelEnabled: (l: string) => l === 'debug', debug: (o: Record<string, unknown>) => void lines.push(o) } as unknown as Logger;
  logClientHostname(log, '127.0.0.1', 'abc');
  t.same(resolver.promiseAsked, ['127.0.0.1'], 'asked, without waiting for it');
  t.same(lines, [], 'nothing logged before the answer');
  resolver.answer(['localhost']);
  await new Promise((r) => setImmediate(r));
  t.match(lines, [{ session: 'abc', address: '127.0.0.1', hostname: 'localhost' }]);

  const silent = { isLevelEnabled: () => false, debug: () => t.fail('logged at info level') } as unknown as Logger;
  logClientHostname(silent, '127.0.0.1', 'def');
  t.same(resolver.promiseAsked, ['127.0.0.1'], 'no lookup at all unless debug logging is on');
});

t.test('a lookup that never answers ends as a logged timeout', async (t) => {
  hangingResolver(t);
  const lines: Array<Record<string, unknown>> = [];
  const log = { isLevelEnabled: () => true, debug: (o: Record<string, unknown>) => void lines.push(o) } as unknown as Logger;
  logClientHostname(log, '127.0.0.1', 'ghi', 20);
  await new Promise((r) => setTimeout(r, 80));
  t.match(lines, [{ session: 'ghi', hostname: null, err: 'timeout' }]);
});
