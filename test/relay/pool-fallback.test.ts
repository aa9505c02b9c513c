// A crypto pool that cannot work must not be silent (issue 16: worker threads that could not start
// went unseen for hours, every relay sealed on the event loop's thread). A daemon whose pool's
// worker cannot load, then whose pool is closed: every relay is still delivered, gpg decrypts and
// verifies it, /metrics counts each fallback by work, and the log says why, once per cause, without
// the message's content. Also: a worker started from source (no dist/ twin) runs through tsx.
import t from 'tap';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { parseConfig } from '../../src/config/load.js';
import { startDaemon } from '../../src/daemon.js';
import { createLogger } from '../../src/log.js';
import { parseEntity, header } from '../../src/mail/entity.js';
import { iso } from '../../src/clock.js';
import { CryptoPool } from '../../src/pgp/crypto-pool.js';
import { workerUrl } from '../../src/pgp/worker-url.js';
import { spoolMessage } from '../../src/store/spool.js';
import { Gpg, type Person } from '../helpers/gpg.js';
import { pgpMime, textPart } from '../helpers/mails.js';
import { encryptedPayload, testConfigYaml } from '../helpers/vmtd.js';

const SECRET = 'POOL-FALLBACK-EMBARGO-SECRET';
const dir = mkdtempSync(join(tmpdir(), 'vmtd-pool-fallback-'));
const file = join(dir, 'vmtd.yaml');
writeFileSync(file, testConfigYaml(dir, 'metrics: { enabled: true, port: 0 }').replace(/^log: .*$/m, 'log: { level: info }'));
const config = parseConfig(readFileSync(file, 'utf8'), file);
const lines: Array<Record<string, unknown>> = [];
const log = createLogger('info', { write: (s: string) => void lines.push(...s.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>)) });
const daemon = await startDaemon(config, () => new Date(), log);
const people = new Map<Person, Gpg>();
const gpg = (p: Person): Gpg => {
  let g = people.get(p);
  if (!g) {
    people.set(p, (g = new Gpg(p)));
    g.importKey(daemon.ctx.team.publicKey.armor());
  }
  return g;
};
t.teardown(async () => {
  people.forEach((g) => g.dispose());
  await daemon.stop();
  rmSync(dir, { recursive: true, force: true });
});

const team = daemon.ctx.team.fingerprint;
const scrape = async (): Promise<string> => (await fetch(`http://127.0.0.1:${daemon.metricsPort}/metrics`)).text();
const fallbacks = (text: string, work: string): number => Number(new RegExp(`^vmtd_crypto_pool_fallbacks_total\\{work="${work}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
const warnings = (): Array<Record<string, unknown>> => lines.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('crypto pool:'));

/** Spools reports in one go (no SMTP: all are pending together, so the pipeline reads the later ones ahead), then works them off. */
async function reports(n: number, tag: string): Promise<void> {
  const at = iso(new Date());
  for (let i = 0; i < n; i++) {
    const raw = pgpMime({ from: 'rita@reporter.example', to: 'security@example.org', subject: `${SECRET} ${tag} ${i}` }, gpg('rita').encrypt(textPart(`Project: libfoo\n\n${SECRET} ${tag} report ${i}`), [team]));
    spoolMessage(daemon.ctx.db, daemon.ctx.sealer, raw, { mailFrom: 'rita@reporter.example', rcptTo: ['security@example.org'], via: 'ingest' }, at);
  }
  for (let i = 0; i < 3; i++) await daemon.settle();
}

const seen = new Set<string>();
/** The relays delivered since the last call that carry `tag`, as alice's and maint's gpg read them. */
function relaysWith(tag: string): Array<{ to: string; code: number; status: string; text: string }> {
  const out = join(config.delivery.maildir, 'new');
  const found: Array<{ to: string; code: number; status: string; text: string }> = [];
  for (const f of readdirSync(out).sort()) {
    if (seen.has(f)) continue;
    seen.add(f);
    const raw = readFileSync(join(out, f));
    const e = parseEntity(raw);
    const to = header(e.headers, 'delivered-to') ?? '';
    if (e.type !== 'multipart/encrypted' || (to !== 'alice@example.org' && to !== 'maint@libfoo.example')) continue;
    const dec = gpg(to === 'alice@example.org' ? 'alice' : 'maint').decrypt(encryptedPayload(raw));
    const text = dec.stdout.toString();
    if (text.includes(tag)) found.push({ to, code: dec.code, status: dec.status, text });
  }
  return found;
}

t.test('a pool whose worker cannot load: relays sealed on this thread, delivered, decrypted by gpg; counted and said once', async (t) => {
  const before = await scrape();
  const broken = new CryptoPool(daemon.ctx.team.privateKey, daemon.ctx.keyring, 1, { log, entry: pathToFileURL(join(dir, 'no-such-worker.js')) });
  t.teardown(() => broken.close());
  const working = daemon.ctx.crypto;
  daemon.ctx.crypto = broken;
  t.teardown(() => void (daemon.ctx.crypto = working));

  await reports(2, 'unloadable');
  const relays = relaysWith('unloadable');
  t.equal(relays.length, 4, 'both reports relayed to alice and to the project contact');
  for (const r of relays) {
    t.equal(r.code, 0, `${r.to} decrypts it`);
    t.match(r.status, `VALIDSIG ${team}`, 'signed by the team key');
  }
  const after = await scrape();
  t.equal(fallbacks(after, 'seal') - fallbacks(before, 'seal'), 2, 'vmtd_crypto_pool_fallbacks_total{work="seal"} counts both');
  const said = warnings().filter((l) => l.work === 'seal' && /no-such-worker|Cannot find module|ERR_MODULE_NOT_FOUND/.test(String(l.cause)));
  t.equal(said.length, 1, 'one warn line for the cause, not one per relay');
  t.equal(said[0]?.level, 40, 'at warn level');
  t.notMatch(JSON.stringify(lines), SECRET, 'the log carries neither subject nor content');
});

t.test('the daemon pool closed: decodes ahead and seals fall back, every relay still delivered and decrypted', async (t) => {
  const before = await scrape();
  const warned = warnings().length;
  await daemon.crypto.close();
  await reports(3, 'closed');
  const relays = relaysWith('closed');
  t.equal(relays.length, 6, 'three reports relayed to alice and to the project contact');
  for (const r of relays) {
    t.equal(r.code, 0, `${r.to} decrypts it`);
    t.match(r.status, `VALIDSIG ${team}`, 'signed by the team key');
  }
  const after = await scrape();
  t.equal(fallbacks(after, 'seal') - fallbacks(before, 'seal'), 3, 'each relay sealed on this thread is counted');
  t.ok(fallbacks(after, 'decode') - fallbacks(before, 'decode') >= 1, 'the reports read ahead were decoded on this thread, counted');
  const said = warnings().slice(warned);
  t.same(said.map((l) => [l.work, l.cause]).sort(), [['decode', 'crypto pool closed'], ['seal', 'crypto pool closed']], 'one warn line per work and cause');
  t.notMatch(JSON.stringify(lines), SECRET, 'the log carries neither subject nor content');
});

t.test('running from source without a dist/ twin, a worker thread registers tsx and runs the TypeScript', async (t) => {
  const src = join(mkdtempSync(join(tmpdir(), 'vmtd-worker-url-')), 'src');
  t.teardown(() => rmSync(join(src, '..'), { recursive: true, force: true }));
  mkdirSync(src);
  // Type annotations and an interface: only runs once tsx has compiled it.
  writeFileSync(join(src, 'echo-worker.ts'), "import { parentPort } from 'node:worker_threads';\ninterface Echo { said: string }\nparentPort!.on('message', (m: string) => parentPort!.postMessage({ said: m.toUpperCase() } satisfies Echo));\n");
  const url = workerUrl('echo-worker', pathToFileURL(join(src, 'module.ts')).href);
  t.equal(url.protocol, 'data:', 'no .js beside it and no dist/ twin: the tsx entry');
  const worker = new Worker(url);
  t.teardown(() => worker.terminate());
  const reply = await new Promise<unknown>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.postMessage('hello');
  });
  t.same(reply, { said: 'HELLO' }, 'the worker ran the .ts source');
});
