import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import nodemailer from 'nodemailer';
import * as openpgp from 'openpgp';
import type { Config } from '../config/types.js';
import { dataFiles } from '../store/layout.js';
import { formatUtc } from '../commands/embargo.js';
import { configuredContacts, pinConfiguredPeople, type ConfiguredPeople } from '../identity/configured.js';
import { createLogger } from '../log.js';
import { describeKey, readPublicKeys } from '../pgp/keys.js';
import { migrate, type Db } from '../store/db.js';
import { Keyring } from '../store/keyring.js';
import { migrations } from '../store/migrations.js';
import { quarantined } from '../store/spool.js';
import { copyStoredKeys, databaseHealth, failedDeliveriesSince, openForReading } from '../store/doctor-facts.js';

export type Level = 'ok' | 'warn' | 'FAIL';

export interface Finding {
  level: Level;
  what: string;
  fix?: string;
}

const DAY = 86_400_000;
const ok = (what: string): Finding => ({ level: 'ok', what });
const warn = (what: string, fix: string): Finding => ({ level: 'warn', what, fix });
const fail = (what: string, fix: string): Finding => ({ level: 'FAIL', what, fix });

/** What to do about an I/O error on `path`, by its code. */
export function fixFor(err: unknown, path: string): string {
  switch ((err as NodeJS.ErrnoException).code) {
    case 'EACCES':
    case 'EPERM':
      return `run vmtd doctor as the user vmtd runs as, or give that user access to ${path} (chown/chmod)`;
    case 'ENOTDIR':
      return `a file stands where a directory should be on the way to ${path}: move it away, or point the configuration elsewhere`;
    case 'EISDIR':
      return `${path} is a directory where a file should be: move it away`;
    case 'ENOENT':
      return `${path} does not exist: check the path in the configuration`;
    case 'ELOOP':
      return `${path} is a symbolic link loop: fix the links`;
    default:
      return `check ${path} (owner, mode, disk)`;
  }
}

const errorLine = (err: unknown): string => {
  const e = err as NodeJS.ErrnoException;
  const message = err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err);
  return e?.code && !message.includes(e.code) ? `${e.code}: ${message}` : message;
};

/** Runs one check: whatever it throws (EACCES, a file where a directory should be, a damaged file) is a FAIL line with the fix, never a stack trace. */
export async function guarded(what: string, path: string, check: () => Finding[] | Promise<Finding[]>): Promise<Finding[]> {
  try {
    return await check();
  } catch (err) {
    return [fail(`${what}: ${errorLine(err)}`, fixFor(err, path))];
  }
}

/**
 * The data directory: present (else nothing more to check there: `vmtd init` or `serve` makes
 * it), a directory, usable by this user, private. `usable` says whether to look inside.
 */
export function checkDataDir(dataDir: string): { findings: Finding[]; usable: boolean } {
  let st;
  try {
    st = statSync(dataDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { findings: [warn(`data directory ${dataDir} does not exist yet`, 'vmtd init (or vmtd serve) creates it, with the database and the team key')], usable: false };
    return { findings: [fail(`cannot look at data directory ${dataDir}: ${errorLine(err)}`, fixFor(err, dataDir))], usable: false };
  }
  if (!st.isDirectory()) return { findings: [fail(`data directory ${dataDir} is not a directory`, `instance.dataDir must name a directory: move ${dataDir} away, or set instance.dataDir to another path`)], usable: false };
  try {
    accessSync(dataDir, constants.R_OK | constants.W_OK | constants.X_OK);
  } catch (err) {
    return { findings: [fail(`data directory ${dataDir} is not usable by this user: ${errorLine(err)}`, fixFor(err, dataDir))], usable: false };
  }
  const mode = st.mode & 0o777;
  return { findings: [mode & 0o077 ? warn(`data directory ${dataDir} is mode ${mode.toString(8)}`, `chmod 700 ${dataDir}`) : ok(`data directory ${dataDir} is private`)], usable: true };
}

/** The files in the data directory: team key, data key, database present and 0600; spool/ and blobs/ directories. */
export function checkPermissions(dataDir: string): Finding[] {
  const out: Finding[] = [];
  const files = dataFiles(dataDir);
  // An empty directory (systemd's StateDirectory before the first start) is not broken, only new.
  if (![files.teamKey, files.dataKey, files.db].some((f) => existsSync(f))) {
    return [warn(`data directory ${dataDir} holds no vmtd state yet`, 'vmtd init (or vmtd serve) creates the database, the data key and the team key')];
  }
  for (const f of [files.teamKey, files.dataKey, files.db]) {
    let st;
    try {
      st = statSync(f);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') out.push(fail(`${f} is missing`, f === files.db ? 'run vmtd init' : 'restore it from your backup of the keys, or run vmtd init to make a new one'));
      else out.push(fail(`cannot look at ${f}: ${errorLine(err)}`, fixFor(err, f)));
      continue;
    }
    if (!st.isFile()) {
      out.push(fail(`${f} is not a regular file`, `move it away; vmtd init makes it`));
      continue;
    }
    const m = st.mode & 0o777;
    out.push(m & 0o077 ? fail(`${f} is mode ${m.toString(8)}: readable by others`, `chmod 600 ${f}`) : ok(`${f} is mode 600`));
  }
  for (const d of [files.spool, files.blobs]) {
    try {
      if (!statSync(d).isDirectory()) out.push(fail(`${d} is not a directory`, `move it away; vmtd makes the directory at start`));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') out.push(fail(`cannot look at ${d}: ${errorLine(err)}`, fixFor(err, d)));
    }
  }
  return out;
}

export { openForReading };

/** The database answers integrity_check with ok, its schema is one this vmtd knows; quarantine and failed deliveries. */
export function checkDatabase(db: Db, now: Date): Finding[] {
  const out: Finding[] = [];
  const { version, integrity: r } = databaseHealth(db);
  if (version > migrations.length) return [fail(`database schema version ${version} is newer than this vmtd knows (${migrations.length})`, 'run the vmtd version that wrote it, or restore a backup')];
  if (version < migrations.length) out.push(warn(`database schema version ${version}; this vmtd uses ${migrations.length}`, 'vmtd serve (or vmtd init) upgrades it at start; take a vmtd backup first'));
  out.push(r === 'ok' ? ok('database integrity_check: ok') : fail(`database integrity_check: ${r}`, 'restore the last vmtd backup'));
  const q = quarantined(db);
  if (q.length > 0) out.push(warn(`${q.length} quarantined message(s)`, 'see vmtd spool list --quarantined; the reasons say what was wrong; vmtd spool release ID or drop ID'));
  const failed = failedDeliveriesSince(db, new Date(now.getTime() - DAY).toISOString());
  if (failed > 0) out.push(warn(`${failed} delivery(ies) failed in the last day`, 'check the recipients and the smart host; the coordinators were told'));
  return out;
}

/** The team's public key, read from its file without creating one; undefined when absent. */
export async function readTeamKey(file: string): Promise<openpgp.PublicKey | undefined> {
  if (!existsSync(file)) return undefined;
  const key = await openpgp.readPrivateKey({ armoredKey: readFileSync(file, 'utf8') });
  if (!key.isDecrypted()) throw new Error(`team key ${file} is passphrase-protected; vmtd needs it unlocked (protect the file instead)`);
  return key.toPublic();
}

/**
 * The keyring and the configured people as vmtd would see them at start, built in memory: the
 * keys stored in the database (when there is one) plus the configured key files, pinned as
 * openVmtd pins them. Nothing is written anywhere. An unreadable key file is a finding.
 */
export async function keyringView(config: Config, db: Db | undefined, team: openpgp.PublicKey | undefined, now: Date): Promise<{ keyring: Keyring; people: ConfiguredPeople; findings: Finding[] }> {
  const mem = new Database(':memory:');
  migrate(mem);
  if (db) copyStoredKeys(db, mem);
  const keyring = await Keyring.load(mem, now);
  if (team) await keyring.add([team], 'team', now.toISOString());
  const findings: Finding[] = [];
  const files = new Set<string>();
  for (const c of configuredContacts(config)) {
    if (!c.key || files.has(c.key)) continue;
    files.add(c.key);
    try {
      if ((await readPublicKeys(readFileSync(c.key, 'utf8'))).length === 0) throw new Error('no public key in it');
    } catch (err) {
      findings.push(fail(`key file ${c.key} (${c.email}): ${errorLine(err)}`, (err as NodeJS.ErrnoException).code ? fixFor(err, c.key) : `${c.key} must hold an armored OpenPGP public key`));
    }
  }
  const people = await pinConfiguredPeople(config, keyring, now, createLogger('silent'));
  return { keyring, people, findings };
}

/** The team key and every configured person's key: present, able to encrypt, not expiring within 30 days. */
export async function checkKeys(v: { config: Config; keyring: Keyring; people: ConfiguredPeople; team: openpgp.PublicKey | undefined; now: Date }): Promise<Finding[]> {
  const { now, config } = v;
  const out: Finding[] = [];
  if (v.team) {
    const team = await describeKey(v.team, now);
    if (team.expiresAt && team.expiresAt.getTime() - now.getTime() < 30 * DAY) out.push(warn(`team key ${team.fingerprint} expires ${formatUtc(team.expiresAt)}`, 'extend its expiry and re-publish it'));
    else out.push(ok(`team key ${team.fingerprint}`));
  }
  if (config.coordinators.length === 0) out.push(warn('no coordinators configured', 'add coordinators with their keys to the configuration: nobody reads the cases'));
  const people = [
    ...config.coordinators.map((c) => ({ ...c, role: 'coordinator' })),
    ...config.projects.flatMap((p) => p.contacts.map((c) => ({ ...c, role: `contact of ${p.id}` }))),
    ...config.stakeholders.map((s) => ({ ...s, role: `stakeholder ${s.id}` })),
  ];
  for (const p of people) {
    const fp = v.people.get(p.email.toLowerCase());
    const key = fp ? v.keyring.byFingerprint(fp) : undefined;
    if (!key) {
      out.push(fail(`${p.role} ${p.email} has no key`, p.key ? `the key file ${p.key} has no key for ${p.email}` : `add key: FILE for ${p.email} in the configuration`));
      continue;
    }
    const info = await describeKey(key, now);
    if (info.encryptionProblem) out.push(fail(`${p.role} ${p.email}: ${info.encryptionProblem}`, 'get a current key from them and update the key file'));
    else if (info.expiresAt && info.expiresAt.getTime() - now.getTime() < 30 * DAY) out.push(warn(`${p.role} ${p.email}: key expires ${formatUtc(info.expiresAt)}`, 'ask them for an extended key'));
    else out.push(ok(`${p.role} ${p.email}: key ${info.fingerprint}`));
  }
  return out;
}

/** The transport can take mail: the smart host answers EHLO, or the maildir is writable (nothing is created). */
export async function checkTransport(config: Config): Promise<Finding[]> {
  const d = config.delivery;
  if (d.transport === 'maildir') {
    try {
      accessSync(d.maildir, constants.W_OK);
      if (!statSync(d.maildir).isDirectory()) return [fail(`maildir ${d.maildir} is not a directory`, 'move it away, or set delivery.maildir to a directory')];
      return [ok(`maildir ${d.maildir} is writable`)];
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [warn(`maildir ${d.maildir} does not exist yet`, 'vmtd serve creates it')];
      return [fail(`maildir ${d.maildir} is not writable: ${errorLine(err)}`, fixFor(err, d.maildir))];
    }
  }
  const t = nodemailer.createTransport({ host: d.smtp.host, port: d.smtp.port, secure: d.smtp.secure, connectionTimeout: 5000, greetingTimeout: 5000, ...(d.smtp.user ? { auth: { user: d.smtp.user, pass: d.smtp.pass ?? '' } } : {}) });
  try {
    await t.verify();
    return [ok(`smart host ${d.smtp.host}:${d.smtp.port} answers EHLO`)];
  } catch (err) {
    return [fail(`smart host ${d.smtp.host}:${d.smtp.port}: ${(err as Error).message.split('\n')[0]}`, 'check delivery.smtp in the configuration and that the host accepts mail from here')];
  } finally {
    t.close();
  }
}

/**
 * Configured people whose addresses are in the team's own domain, when vmtd's outgoing mail goes
 * through an SMTP server: usually the MTA in front of vmtd. If that MTA relays only vmtd's
 * addresses for the domain (a vmtd-only relay_recipient_maps), mail to them bounces.
 */
export function checkMailRouting(config: Config): Finding[] {
  if (config.delivery.transport !== 'smtp') return [];
  const domain = config.instance.domain.toLowerCase();
  const inDomain = configuredContacts(config)
    .map((c) => c.email.toLowerCase())
    .filter((e, i, all) => all.indexOf(e) === i && e.slice(e.lastIndexOf('@') + 1) === domain);
  if (inDomain.length === 0) return [];
  const coordinators = new Set(config.coordinators.map((c) => c.email.toLowerCase()));
  const who = inDomain.map((e) => `${coordinators.has(e) ? 'coordinator ' : ''}${e}`).join(', ');
  return [
    warn(
      `${who} in the team domain ${domain}, and delivery goes through ${config.delivery.smtp.host}:${config.delivery.smtp.port}: if that is the MTA in front of vmtd, it must still deliver the domain's other mailboxes`,
      `make sure the MTA accepts and delivers them (README "Postfix in front": transport_maps for vmtd's addresses only; a vmtd-only relay_recipient_maps bounces their mail); test with a mail to ${inDomain[0]}`,
    ),
  ];
}
