import { existsSync, readFileSync } from 'node:fs';
import { businessSpanDays } from '../scheduler/planner.js';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ErrorObject } from 'ajv';
import { parseDocument } from 'yaml';
import { validate as validCron } from 'node-cron';
import { configSchema } from './schema.js';
import * as generated from './config-validator.generated.js';
import { configValidatorOptions } from '../schema/targets.js';
import { validatorFor } from '../schema/validator.js';
import type { Config } from './types.js';

/** The repository root (where `config/`, `templates/` and `data/` live), from src/ or dist/src/, independent of the cwd. */
export const packageRoot = ((): string => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(resolve(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
})();

/** The shipped default configuration used when no `--config` is given. */
export const defaultConfigFile = resolve(packageRoot, 'config/vmtd.yaml');

/** A configuration that failed validation; `problems` are one line each, naming the key path. */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`invalid configuration ${file}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const validate = validatorFor(configSchema, configValidatorOptions, generated);

function keyPath(error: ErrorObject): string {
  const parts = error.instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  let path = parts.reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '');
  if (error.keyword === 'additionalProperties') {
    const extra = String((error.params as { additionalProperty: string }).additionalProperty);
    return path ? `${path}.${extra}` : extra;
  }
  if (error.keyword === 'required') {
    const missing = String((error.params as { missingProperty: string }).missingProperty);
    path = path ? `${path}.${missing}` : missing;
  }
  return path || '(top level)';
}

function describe(error: ErrorObject): string {
  const p = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties':
      return 'unknown key (remove it, or check its spelling against config/vmtd.example.yaml)';
    case 'required':
      return 'is required';
    case 'enum':
      return `must be one of: ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'pattern':
      return `has an invalid format (must match ${String(p.pattern)})`;
    default:
      return error.message ?? 'is invalid';
  }
}

/** Error lines for ajv's errors, one per key path, stable in order. */
function problemsOf(errors: ErrorObject[], doc: ReturnType<typeof parseDocument>, source: string): string[] {
  const lines = new Set<string>();
  for (const e of errors) {
    const segments = e.instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    // An unknown key is located at the key itself; a missing key has no line of its own.
    if (e.keyword === 'additionalProperties') segments.push(String((e.params as { additionalProperty: string }).additionalProperty));
    const node = e.keyword === 'required' ? undefined : (doc.getIn(segments, true) as { range?: [number, number] } | undefined);
    const at = node?.range ? ` (line ${lineOf(source, node.range[0])})` : '';
    lines.add(`${keyPath(e)}${at}: ${describe(e)}`);
  }
  return [...lines];
}

/**
 * Reads a password file named by `passFile`: `$CREDENTIALS_DIRECTORY/NAME` (or `${…}`) is the
 * directory where systemd puts the unit's LoadCredential= files; any other relative path is
 * relative to the configuration file. One trailing newline is dropped. A problem is returned
 * naming the key, never the file's content.
 */
function readPassFile(key: string, file: string, base: string): { pass: string; path: string } | { problem: string } {
  const m = /^\$(?:\{CREDENTIALS_DIRECTORY\}|CREDENTIALS_DIRECTORY)(?=\/|$)/.exec(file);
  const credentials = process.env.CREDENTIALS_DIRECTORY;
  if (m && !credentials) return { problem: `${key}: ${file} names $CREDENTIALS_DIRECTORY, which is not set (systemd sets it for a unit with LoadCredential=; elsewhere give the file's path)` };
  const path = m ? resolve(credentials!, `.${file.slice(m[0].length)}`) : resolve(base, file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return { problem: `${key}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}` };
  }
  const pass = text.replace(/\r?\n$/, '');
  return pass ? { pass, path } : { problem: `${key}: ${path} is empty` };
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/**
 * Reads, validates and normalises a configuration file. Relative paths in it are resolved against
 * the file's folder. Throws ConfigError naming every wrong key at once.
 */
export function loadConfig(file: string = defaultConfigFile): Config {
  const abs = resolve(file);
  let source: string;
  try {
    source = readFileSync(abs, 'utf8');
  } catch (err) {
    throw new ConfigError(abs, [`cannot read the file: ${(err as NodeJS.ErrnoException).code ?? String(err)}`]);
  }
  return parseConfig(source, abs);
}

/** Validates configuration text as if it had been read from `file`. */
export function parseConfig(source: string, file: string): Config {
  const doc = parseDocument(source, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(file, doc.errors.map((e) => `YAML syntax: ${e.message.split('\n')[0]}`));
  }
  const data: unknown = doc.toJS() ?? {};
  if (!validate(data)) throw new ConfigError(file, problemsOf(validate.errors ?? [], doc, source));
  const raw = data as unknown as Omit<Config, 'file'>;
  const base = dirname(file);
  const at = (p: string): string => resolve(base, p);
  const withKey = <T extends { key?: string }>(c: T): T => (c.key ? { ...c, key: at(c.key) } : c);
  const problems: string[] = [];
  raw.stakeholders.forEach((s, i) => {
    // One window or the other: both would leave it unclear which one the stakeholder agreed to.
    if (s.noticeBusinessDays !== undefined && (s as { noticeDays?: number }).noticeDays !== undefined) {
      problems.push(`stakeholders[${i}]: give noticeDays or noticeBusinessDays, not both`);
    }
    s.noticeDays ??= s.noticeBusinessDays === undefined ? 7 : 0;
    if (s.noticeBusinessDays !== undefined && businessSpanDays(s.noticeBusinessDays) > s.maxDays) {
      problems.push(`stakeholders[${i}].noticeBusinessDays: ${s.noticeBusinessDays} business days can span ${businessSpanDays(s.noticeBusinessDays)} days, more than maxDays (${s.maxDays})`);
    }
    if (s.noticeDays > s.maxDays) problems.push(`stakeholders[${i}].noticeDays: must not exceed maxDays (${s.maxDays})`);
  });
  // A reminder N days before the limit (report + maxEmbargoDays) must come after the report.
  const late = raw.policy.reminderDays.filter((n) => n >= raw.policy.maxEmbargoDays);
  if (late.length > 0) {
    problems.push(`policy.reminderDays: ${late.join(', ')} ${late.length > 1 ? 'are' : 'is'} not before the disclosure limit: each must be less than policy.maxEmbargoDays (${raw.policy.maxEmbargoDays}), e.g. [14, 7, 2]`);
  }
  const ids = new Set<string>();
  raw.projects.forEach((p, i) => {
    if (ids.has(p.id)) problems.push(`projects[${i}].id: duplicate project id "${p.id}"`);
    ids.add(p.id);
  });
  for (const key of ['tick', 'digest'] as const) {
    if (!validCron(raw.schedule[key])) problems.push(`schedule.${key}: "${raw.schedule[key]}" is not a valid cron expression (e.g. "* * * * *", "0 8 * * *")`);
  }
  // Passwords: written as pass, or read from passFile (systemd credentials), never both.
  const password = <T extends { pass?: string; passFile?: string }>(key: string, c: T, required: boolean): T => {
    if (c.pass !== undefined && c.passFile !== undefined) {
      problems.push(`${key}: give pass or passFile, not both`);
      return c;
    }
    if (c.passFile === undefined) {
      if (required && c.pass === undefined) problems.push(`${key}.pass: is required (or passFile: a file holding the password)`);
      return c;
    }
    const r = readPassFile(`${key}.passFile`, c.passFile, base);
    if ('problem' in r) {
      problems.push(r.problem);
      return c;
    }
    return { ...c, pass: r.pass, passFile: r.path };
  };
  const smtpOut = password('delivery.smtp', raw.delivery.smtp, false);
  const imap = raw.imap.map((box, i) => password(`imap[${i}]`, box, true));
  if (problems.length > 0) throw new ConfigError(file, problems);
  return {
    ...raw,
    file,
    instance: { ...raw.instance, dataDir: at(raw.instance.dataDir), publicDir: at(raw.instance.publicDir) },
    delivery: { ...raw.delivery, maildir: at(raw.delivery.maildir), smtp: smtpOut },
    imap,
    coordinators: raw.coordinators.map(withKey),
    ...(raw.cve?.cna?.keyFile ? { cve: { ...raw.cve, cna: { ...raw.cve.cna, keyFile: at(raw.cve.cna.keyFile) } } } : {}),
    projects: raw.projects.map((p) => ({ ...p, name: p.name ?? p.id, contacts: p.contacts.map(withKey) })),
    stakeholders: raw.stakeholders.map(withKey),
  };
}
