// Command mails as coordinators make them with gpg, and reading the answers they get.
import { emailOf, pubKey, type Person } from './gpg.js';
import { pgpMime, plainMail, textPart } from './mails.js';
import { caseList } from '../../src/store/case-view.js';
import { encryptedPayload, type Delivered, type TestVmtd } from './vmtd.js';

export interface CommandOptions {
  /** pgp-mime: signed and encrypted to the team (default); clearsign: inline, not encrypted. */
  mode?: 'pgp-mime' | 'clearsign';
  to?: string;
  from?: string;
  /** Extra gpg options for the signature, e.g. ['--faked-system-time', '20261120T000000']. */
  gpgExtra?: string[];
  /** Attach these people's public keys. */
  attachKeys?: Person[];
  /** Attach files (name → content). */
  files?: Record<string, string>;
}

/** The message entity a mail client builds: the text, then attachments. */
export function commandEntity(body: string, opts: CommandOptions): Buffer {
  const atts: Array<[string, string, string]> = [
    ...(opts.attachKeys ?? []).map((p): [string, string, string] => [`${p}.asc`, 'application/pgp-keys', pubKey(p)]),
    ...Object.entries(opts.files ?? {}).map(([n, c]): [string, string, string] => [n, n.endsWith('.yaml') ? 'application/yaml' : 'text/plain', c]),
  ];
  if (atts.length === 0) return Buffer.from(`Content-Type: text/plain; charset=utf-8\r\n\r\n${body.replace(/\r?\n/g, '\r\n')}`);
  const parts = [`--cmd-b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${body.replace(/\r?\n/g, '\r\n')}\r\n`];
  for (const [name, type, content] of atts) {
    parts.push(`--cmd-b\r\nContent-Type: ${type}; name="${name}"\r\nContent-Disposition: attachment; filename="${name}"\r\nContent-Transfer-Encoding: base64\r\n\r\n${Buffer.from(content).toString('base64').replace(/.{76}/g, '$&\r\n')}\r\n`);
  }
  return Buffer.from(`Content-Type: multipart/mixed; boundary="cmd-b"\r\n\r\n${parts.join('')}--cmd-b--\r\n`);
}

/** Builds a command mail signed by `who` with gpg. */
export function commandMail(v: TestVmtd, who: Person, caseId: string | null, body: string, opts: CommandOptions = {}): { raw: Buffer; to: string; from: string } {
  const g = v.gpg(who);
  const to = opts.to ?? (caseId ? `security+${caseId.toLowerCase()}@example.org` : 'security@example.org');
  const from = opts.from ?? emailOf[who];
  const head = { from, to, subject: caseId ? `Re: [${caseId}] commands` : 'commands' };
  if (opts.mode === 'clearsign') return { raw: plainMail(head, g.clearsign(body, opts.gpgExtra ?? [])), to, from };
  return { raw: pgpMime(head, g.encrypt(commandEntity(body, opts), [v.daemon.ctx.team.fingerprint], { extra: opts.gpgExtra ?? [] })), to, from };
}

export interface Sent {
  code: number;
  out: Delivered[];
  /** The answer the signer got, decrypted (or the clear text when it was not encrypted). */
  answer: string;
  raw: Buffer;
}

/** Sends a command mail and returns what came out, with the answer to `who` decrypted. */
export async function sendCommand(v: TestVmtd, who: Person, caseId: string | null, body: string, opts: CommandOptions = {}): Promise<Sent> {
  const { raw, to, from } = commandMail(v, who, caseId, body, opts);
  return resend(v, who, raw, to, from);
}

/** Sends an already built mail (e.g. a replay) and reads the answer as `who`. */
export async function resend(v: TestVmtd, who: Person, raw: Buffer, to: string, from: string): Promise<Sent> {
  const r = await v.send(raw, { from, to: [to] });
  await v.settle();
  const out = v.take();
  const mine = out.filter((d) => d.to === from);
  const answer = mine
    .map((d) => (/multipart\/encrypted/.test(d.raw.subarray(0, 2000).toString()) ? v.gpg(who).decrypt(encryptedPayload(d.raw)).stdout.toString() : d.raw.toString()))
    .join('\n=====\n');
  return { code: r.code, out, answer, raw };
}

/** What a member reads in their relayed copy. */
export function readAs(v: TestVmtd, who: Person, d: Delivered): string {
  return v.gpg(who).decrypt(encryptedPayload(d.raw)).stdout.toString();
}

/**
 * Rita reports to the intake, encrypted, her key in an Autocrypt header and `Project: PROJECT` as
 * the first line; resolves to the new case's ID once processed (the mails it caused are taken).
 */
export async function ritaReports(v: TestVmtd, project = 'libfoo'): Promise<string> {
  const autocrypt = `Autocrypt: addr=${emailOf.rita}; keydata=${v.gpg('rita').run(['--export', emailOf.rita]).stdout.toString('base64')}`;
  const raw = pgpMime({ from: emailOf.rita, to: 'security@example.org', subject: 'overflow', extra: [autocrypt] }, v.gpg('rita').encrypt(textPart(`Project: ${project}\n\ndetails`), [v.daemon.ctx.team.fingerprint]));
  await v.send(raw, { from: emailOf.rita, to: ['security@example.org'] });
  await v.settle();
  v.take();
  return caseList(v.daemon.ctx.db, v.daemon.ctx.sealer).at(-1)!.id;
}
