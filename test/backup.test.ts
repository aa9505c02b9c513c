// `vmtd backup` while the daemon runs and receives: a consistent copy with no embargoed text in it.
import t from 'tap';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import nodemailer from 'nodemailer';
import { childConfig, eventually, exited, freePort, serve, vmtd } from './helpers/child.js';
import { plainMail } from './helpers/mails.js';

t.test('an online backup during intake opens, holds the cases, and reveals no report text', async (t) => {
  const port = await freePort();
  const { dir, file } = childConfig(port);
  const daemon = await serve(file);
  const client = nodemailer.createTransport({ host: '127.0.0.1', port, ignoreTLS: true, pool: true, maxConnections: 2 });
  // One reporter per report: a single sender's new cases are rate-limited (policy).
  const send = (i: number) => client.sendMail({ envelope: { from: `r${i}@reporter.example`, to: ['security@example.org'] }, raw: plainMail({ from: `r${i}@reporter.example`, to: 'security@example.org', subject: `r${i}` }, `BACKUP-SECRET-${i}`) });
  for (let i = 0; i < 5; i++) await send(i);
  // A large one: its raw message, sealed content and relay payload live in files beside the database.
  await client.sendMail({ envelope: { from: 'r@reporter.example', to: ['security@example.org'] }, raw: plainMail({ from: 'r@reporter.example', to: 'security@example.org', subject: 'large' }, `BACKUP-SECRET-LARGE\n${'z'.repeat(1_500_000)}`) });
  await eventually(() => (JSON.parse(vmtd(['case', 'list', '--json', '--config', file]).stdout).length === 6 ? true : undefined), 20_000);
  const during = Promise.all(Array.from({ length: 20 }, (_, i) => send(100 + i)));
  const copy = join(dir, 'backup.sqlite');
  const r = vmtd(['backup', copy, '--config', file]);
  await during;
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /data\.key and .*team\.key/, 'names the key files it leaves out');
  t.equal(vmtd(['backup', copy, '--config', file]).code, 73, 'never overwrites');
  const db = new Database(copy, { readonly: true });
  t.equal((db.pragma('integrity_check', { simple: true }) as string), 'ok');
  const spooled = (db.prepare('SELECT COUNT(*) AS n FROM spool').get() as { n: number }).n;
  t.ok(spooled >= 5, `the copy holds the spool (${spooled} messages)`);
  db.close();
  t.notOk(readFileSync(copy).includes('BACKUP-SECRET-'), 'no report text in the copy');
  t.match(r.stdout, /large-blob files/, 'says where the large-blob files went');
  const files = ['spool', 'blobs'].flatMap((k) => readdirSync(join(`${copy}.files`, k)).map((f) => join(`${copy}.files`, k, f)));
  t.ok(files.length >= 3, `the large message's files are copied (${files.length}: raw, content, payload)`);
  t.notOk(files.some((f) => readFileSync(f).includes('BACKUP-SECRET-LARGE')), 'none of them holds report text');
  await eventually(() => (JSON.parse(vmtd(['case', 'list', '--json', '--config', file]).stdout).length === 26 ? true : undefined), 20_000);
  client.close();
  daemon.kill('SIGTERM');
  t.equal(await exited(daemon), 0);
  rmSync(dir, { recursive: true, force: true });
});
