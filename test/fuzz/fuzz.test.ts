// A seeded mutation fuzzer over the whole inbound path (parse → decode → classify → store):
// no exception escapes, every spooled message ends done or quarantined, none takes over 5 s.
// CI runs a short seeded run; VMTD_FUZZ_EXECS sets the count (the benchmark runs 100,000).
import t from 'tap';
import { buildCorpus } from '../fixtures/hostile/corpus.js';
import { pgpMime, plainMail, textPart, withAttachment } from '../helpers/mails.js';
import { startTestVmtd } from '../helpers/vmtd.js';
import { spoolMessage, spoolRow } from '../../src/store/spool.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { iso } from '../../src/clock.js';

const execs = Number(process.env.VMTD_FUZZ_EXECS ?? 500);
const seed = Number(process.env.VMTD_FUZZ_SEED ?? 20261124);

/** mulberry32: a small deterministic PRNG, so a failing run can be replayed from its seed. */
function rng(s: number): () => number {
  return () => {
    s |= 0;
    s = (s + 0x6d2b79f5) | 0;
    let x = Math.imul(s ^ (s >>> 15), 1 | s);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

t.test(`fuzz: ${execs} mutated messages through the inbound path (seed ${seed})`, async (t) => {
  // Many mutants share a sender: the case-opening limit would hold most back before they reach relaying.
  const v = await startTestVmtd({ extraConfig: 'policy: { ackPerSenderPerHour: 0, casesPerSenderPerHour: 100000, casesPerHour: 100000 }' });
  t.teardown(() => v.stop());
  await v.daemon.outbox.stop(); // delivery is not under test; keep the run fast
  const rita = v.gpg('rita');
  const team = v.daemon.ctx.team.fingerprint;
  const seeds: Buffer[] = [
    pgpMime({ from: 'rita@reporter.example', to: 'security@example.org', subject: 'pgp' }, rita.encrypt(textPart('hello'), [team])),
    plainMail({ from: 'a@b.example', to: 'security@example.org', subject: 'inline' }, rita.encrypt('inline text', [team])),
    plainMail({ from: 'a@b.example', to: 'security@example.org', subject: 'signed' }, rita.clearsign('X-CASE: SEC-2026-0001\nX-STATE: triaged\n')),
    Buffer.concat([Buffer.from('From: a@b.example\r\nTo: security@example.org\r\nSubject: mixed\r\nMIME-Version: 1.0\r\n'), withAttachment('text', 'a.bin', 'application/octet-stream', Buffer.from('abc'))]),
    ...buildCorpus(rita, team)
      .filter((c) => c.raw.length < 200_000)
      .map((c) => c.raw),
  ];
  const rand = rng(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const tokens = ['\r\n', '\n', '--', '--b--', '-----BEGIN PGP MESSAGE-----', '-----END PGP MESSAGE-----', 'Content-Type: multipart/mixed; boundary="b"\r\n', '=?utf-8?q?=0D=0A?=', '\u0000', 'X-CASE: ', '\r\n.\r\n'];
  const mutate = (buf: Buffer): Buffer => {
    let b = Buffer.from(buf);
    const n = 1 + Math.floor(rand() * 4);
    for (let i = 0; i < n; i++) {
      const at = Math.floor(rand() * (b.length + 1));
      switch (Math.floor(rand() * 6)) {
        case 0: // flip bytes
          for (let j = 0; j < 1 + rand() * 8 && b.length; j++) b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256);
          break;
        case 1: // delete a chunk
          b = Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + Math.floor(rand() * 200)))]);
          break;
        case 2: // insert a token
          b = Buffer.concat([b.subarray(0, at), Buffer.from(pick(tokens), 'latin1'), b.subarray(at)]);
          break;
        case 3: // duplicate a chunk
          b = Buffer.concat([b.subarray(0, at), b.subarray(at, at + Math.floor(rand() * 300)), b.subarray(at)]);
          break;
        case 4: // splice with another seed
          b = Buffer.concat([b.subarray(0, at), pick(seeds).subarray(Math.floor(rand() * 500))]);
          break;
        default: // truncate
          b = b.subarray(0, at);
      }
    }
    return b;
  };
  const started = Date.now();
  let slowest = 0;
  let peak = 0;
  for (let i = 0; i < execs; i++) {
    const raw = mutate(pick(seeds));
    spoolMessage(v.daemon.ctx.db, v.daemon.ctx.sealer, raw, { mailFrom: 'fuzz@fuzz.example', rcptTo: [pick(['security@example.org', 'security+sec-2026-0001@example.org', 'security-bounces+1@example.org'])], via: 'ingest' }, iso(new Date()));
    const t0 = Date.now();
    await v.daemon.pipeline.drain();
    slowest = Math.max(slowest, Date.now() - t0);
    peak = Math.max(peak, process.memoryUsage().rss);
  }
  const states = v.daemon.ctx.db.prepare('SELECT state, COUNT(*) AS n FROM spool GROUP BY state').all() as Array<{ state: string; n: number }>;
  t.notOk(states.some((s) => s.state === 'pending'), `every message processed: ${JSON.stringify(states)}`);
  const internal = v.daemon.ctx.db.prepare("SELECT id, reason FROM spool WHERE reason LIKE 'internal error%'").all() as Array<{ id: number; reason: string }>;
  // Keep what crashed a stage for replay (`vmtd ingest < FILE`): sealed in the spool, written out here.
  if (internal.length > 0) {
    const dir = join(tmpdir(), `vmtd-fuzz-crashes-${seed}`);
    mkdirSync(dir, { recursive: true });
    for (const r of internal) writeFileSync(join(dir, `${r.id}.eml`), (await spoolRow(v.daemon.ctx.db, v.daemon.ctx.sealer, join(v.dir, 'data', 'spool'), r.id))!.raw);
    t.comment(`inputs that hit an internal error are in ${dir}`);
  }
  t.same(internal.map((r) => r.reason), [], 'no message hit an internal error (a crash in a stage)');
  // A hang guard, not a timing target (speed is measured by npm run bench): no input may stall the pipeline.
  t.ok(slowest < 60_000, `no execution hangs (slowest ${slowest} ms)`);
  t.ok(peak < 1024 * 1024 * 1024, `peak RSS ${(peak / 1e6).toFixed(0)} MB (< 1 GB)`);
  t.comment(`${execs} executions in ${((Date.now() - started) / 1000).toFixed(1)} s (${(execs / ((Date.now() - started) / 1000)).toFixed(0)}/s)`);
});
