// A real vmtd for tests: its own data dir and config, SMTP on a free loopback port, maildir out.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { startDaemon, type Daemon } from '../../src/daemon.js';
import { createLogger } from '../../src/log.js';
import { childrenOf, header, parseEntity } from '../../src/mail/entity.js';
import { Gpg, pubKeyFile, type Person } from './gpg.js';

export interface TestClock {
  now: Date;
}

/** The config YAML tests use: two coordinators, project libfoo, stakeholder distros. */
export function testConfigYaml(dir: string, extra = '', moreProjects = '', coordinatorKeys: Partial<Record<'alice' | 'bob', Person>> = {}, moreStakeholders = ''): string {
  return `
instance:
  name: Example Security Team
  domain: example.org
  caseIdPrefix: SEC
  dataDir: ${dir}/data
  publicDir: ${dir}/public
smtp: { host: 127.0.0.1, port: 0 }
delivery: { transport: maildir, maildir: ${dir}/outgoing }
log: { level: ${process.env.VMTD_TEST_LOG ?? 'silent'} }
coordinators:
  - { name: Alice Coordinator, email: alice@example.org, key: ${pubKeyFile(coordinatorKeys.alice ?? 'alice')} }
  - { name: Bob Coordinator, email: bob@example.org, key: ${pubKeyFile(coordinatorKeys.bob ?? 'bob')} }
projects:
  - id: libfoo
    name: libfoo
    contacts:
      - { name: Foo Maintainer, email: maint@libfoo.example, key: ${pubKeyFile('maint')} }
${moreProjects}
stakeholders:
  - { id: distros, name: linux-distros, email: linux-distros@vs.openwall.example, key: ${pubKeyFile('distros')}, noticeDays: 7, maxDays: 14, subjectPrefix: "[vs] " }
${moreStakeholders}
publicLists: [oss-security@lists.openwall.example]
${extra}`;
}

export interface Delivered {
  file: string;
  to: string;
  returnPath: string;
  raw: Buffer;
  headers: Array<[string, string]>;
  subject: string;
}

export interface TestVmtd {
  dir: string;
  config: Config;
  daemon: Daemon;
  clock: TestClock;
  port: number;
  /** Sends over SMTP; resolves to the server's reply code (250 when accepted). */
  send(raw: Buffer, envelope: { from: string; to: string[] }): Promise<{ code: number; response: string }>;
  /** Waits until everything spooled is processed and everything due is delivered. */
  settle(): Promise<void>;
  /** Mails in the outgoing maildir, oldest first; `take()` returns and forgets them. */
  delivered(): Delivered[];
  take(): Delivered[];
  /** A person's GnuPG that knows the team's public key (made once, removed at stop). */
  gpg(p: Person): Gpg;
  stop(): Promise<void>;
}

/** The armored OpenPGP payload of a PGP/MIME mail. */
export function encryptedPayload(raw: Buffer): string {
  const e = parseEntity(raw);
  const parts = childrenOf(e);
  if (e.type !== 'multipart/encrypted' || !parts || parts.length !== 2) throw new Error(`not PGP/MIME: ${e.type}`);
  return parts[1]!.body.toString();
}

export async function startTestVmtd(opts: { extraConfig?: string; moreProjects?: string; moreStakeholders?: string; now?: Date; dir?: string; coordinatorKeys?: Partial<Record<'alice' | 'bob', Person>> } = {}): Promise<TestVmtd> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'vmtd-test-'));
  const file = join(dir, 'vmtd.yaml');
  writeFileSync(file, testConfigYaml(dir, opts.extraConfig, opts.moreProjects, opts.coordinatorKeys, opts.moreStakeholders));
  const config = parseConfig(readFileSync(file, 'utf8'), file);
  const clock: TestClock = { now: opts.now ?? new Date() };
  const daemon = await startDaemon(config, () => clock.now, createLogger(config.log.level));
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: daemon.smtp.port, secure: false, ignoreTLS: true });
  const seen = new Set<string>();
  const people = new Map<Person, Gpg>();
  const outgoing = join(dir, 'outgoing', 'new');
  const read = (): Delivered[] => {
    let files: string[] = [];
    try {
      files = readdirSync(outgoing).sort();
    } catch {
      return [];
    }
    return files.map((f) => {
      const raw = readFileSync(join(outgoing, f));
      const e = parseEntity(raw);
      return {
        file: f,
        raw,
        headers: e.headers,
        to: header(e.headers, 'delivered-to') ?? '',
        returnPath: header(e.headers, 'return-path') ?? '',
        subject: header(e.headers, 'subject') ?? '',
      };
    });
  };
  const t: TestVmtd = {
    dir,
    config,
    daemon,
    clock,
    port: daemon.smtp.port,
    async send(raw, envelope) {
      try {
        const info = await transport.sendMail({ envelope, raw });
        return { code: 250, response: info.response };
      } catch (err) {
        const e = err as { responseCode?: number; response?: string; message: string };
        return { code: e.responseCode ?? 0, response: e.response ?? e.message };
      }
    },
    async settle() {
      for (let i = 0; i < 3; i++) await daemon.settle();
    },
    delivered: () => read(),
    take() {
      const fresh = read().filter((d) => !seen.has(d.file));
      fresh.forEach((d) => seen.add(d.file));
      return fresh;
    },
    gpg(p) {
      let g = people.get(p);
      if (!g) {
        g = new Gpg(p);
        g.importKey(daemon.ctx.team.publicKey.armor());
        people.set(p, g);
      }
      return g;
    },
    async stop() {
      people.forEach((g) => g.dispose());
      transport.close();
      await daemon.stop();
      if (!opts.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
  return t;
}
