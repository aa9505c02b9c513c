import { accessSync, constants, existsSync, statSync } from 'node:fs';
import nodemailer from 'nodemailer';
import type { Vmtd } from '../context.js';
import { dataFiles } from '../context.js';
import { formatUtc } from '../commands/embargo.js';
import { describeKey } from '../pgp/keys.js';
import { quarantined } from '../store/spool.js';

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

/** Permissions: the data directory private to its user, key files 0600. */
export function checkPermissions(dataDir: string): Finding[] {
  const out: Finding[] = [];
  const mode = statSync(dataDir).mode & 0o777;
  out.push(mode & 0o077 ? warn(`data directory ${dataDir} is mode ${mode.toString(8)}`, `chmod 700 ${dataDir}`) : ok(`data directory ${dataDir} is private`));
  const files = dataFiles(dataDir);
  for (const f of [files.teamKey, files.dataKey, files.db]) {
    if (!existsSync(f)) {
      out.push(fail(`${f} is missing`, 'run vmtd init'));
      continue;
    }
    const m = statSync(f).mode & 0o777;
    out.push(m & 0o077 ? fail(`${f} is mode ${m.toString(8)}: readable by others`, `chmod 600 ${f}`) : ok(`${f} is mode 600`));
  }
  return out;
}

/** The database answers PRAGMA integrity_check with ok. */
export function checkDatabase(ctx: Vmtd): Finding[] {
  const r = ctx.db.pragma('integrity_check', { simple: true }) as string;
  const out = [r === 'ok' ? ok('database integrity_check: ok') : fail(`database integrity_check: ${r}`, 'restore the last vmtd backup')];
  const q = quarantined(ctx.db);
  if (q.length > 0) out.push(warn(`${q.length} quarantined message(s)`, 'see vmtd case list; the reasons say what was wrong'));
  const failed = (ctx.db.prepare("SELECT COUNT(*) AS n FROM outbox WHERE state = 'failed' AND created_at >= ?").get(new Date(ctx.clock().getTime() - DAY).toISOString()) as { n: number }).n;
  if (failed > 0) out.push(warn(`${failed} delivery(ies) failed in the last day`, 'check the recipients and the smart host; the coordinators were told'));
  return out;
}

/** The team key and every configured person's key: present, able to encrypt, not expiring within 30 days. */
export async function checkKeys(ctx: Vmtd): Promise<Finding[]> {
  const now = ctx.clock();
  const out: Finding[] = [];
  const team = await describeKey(ctx.team.publicKey, now);
  if (team.expiresAt && team.expiresAt.getTime() - now.getTime() < 30 * DAY) out.push(warn(`team key ${team.fingerprint} expires ${formatUtc(team.expiresAt)}`, 'extend its expiry and re-publish it'));
  else out.push(ok(`team key ${team.fingerprint}`));
  if (ctx.config.coordinators.length === 0) out.push(warn('no coordinators configured', 'add coordinators with their keys to the configuration: nobody reads the cases'));
  const people = [
    ...ctx.config.coordinators.map((c) => ({ ...c, role: 'coordinator' })),
    ...ctx.config.projects.flatMap((p) => p.contacts.map((c) => ({ ...c, role: `contact of ${p.id}` }))),
    ...ctx.config.stakeholders.map((s) => ({ ...s, role: `stakeholder ${s.id}` })),
  ];
  for (const p of people) {
    const fp = ctx.people.get(p.email.toLowerCase());
    const key = fp ? ctx.keyring.byFingerprint(fp) : undefined;
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

/** The transport can take mail: the smart host answers EHLO, or the maildir is writable. */
export async function checkTransport(ctx: Vmtd): Promise<Finding[]> {
  const d = ctx.config.delivery;
  if (d.transport === 'maildir') {
    try {
      accessSync(d.maildir, constants.W_OK);
      return [ok(`maildir ${d.maildir} is writable`)];
    } catch {
      return [existsSync(d.maildir) ? fail(`maildir ${d.maildir} is not writable`, `fix its owner or mode`) : warn(`maildir ${d.maildir} does not exist yet`, 'vmtd serve creates it')];
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
