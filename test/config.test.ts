// Configuration: the documented example loads; errors name the key path and what is allowed.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError, loadConfig, parseConfig } from '../src/config/load.js';

const root = resolve(import.meta.dirname, '..');

t.test('the shipped default and the documented example load', (t) => {
  const def = loadConfig(resolve(root, 'config/vmtd.yaml'));
  t.equal(def.smtp.port, 2525);
  t.equal(def.smtp.host, '127.0.0.1');
  t.equal(def.delivery.transport, 'maildir');
  t.equal(def.delivery.maildir, resolve(root, 'data/outgoing'));
  const ex = loadConfig(resolve(root, 'config/vmtd.example.yaml'));
  t.equal(ex.stakeholders[0]!.subjectPrefix, '[vs] ');
  t.equal(ex.coordinators[0]!.key, resolve(root, 'config/keys/alice.asc'), 'key paths are relative to the config file');
  t.end();
});

t.test("DESIGN.md's example configuration loads as written", (t) => {
  const design = resolve(root, '../shared/DESIGN.md');
  let text = '';
  try {
    text = readFileSync(design, 'utf8');
  } catch {
    t.skip(`no DESIGN.md beside the repository (${design})`, () => {});
    return t.end();
  }
  const yaml = /```yaml\n([\s\S]*?)```/.exec(text)![1]!;
  const c = parseConfig(yaml, resolve(root, 'config/design.yaml'));
  t.equal(c.instance.caseIdPrefix, 'SEC');
  t.equal(c.policy.ackPerSenderPerHour, 20);
  t.end();
});

t.test('errors name the key path, the line and what is allowed', (t) => {
  const bad = `instance:\n  domain: example.org\n  separtor: "+"\npolicy:\n  maxEmbargoDays: soon\ndelivery:\n  transport: carrier-pigeon\nschedule:\n  tick: "every minute"\n`;
  const err = t.throws(() => parseConfig(bad, '/etc/vmtd/vmtd.yaml')) as ConfigError;
  t.ok(err instanceof ConfigError);
  t.match(err.message, /instance\.separtor \(line 3\): unknown key/);
  t.match(err.message, /policy\.maxEmbargoDays \(line 5\): must be integer/);
  t.match(err.message, /delivery\.transport \(line 7\): must be one of: "maildir", "smtp"/);
  t.throws(() => parseConfig('instance:\n  domain: example.org\nschedule:\n  tick: "every minute"\n', '/x.yaml'), /schedule\.tick: "every minute" is not a valid cron expression/);
  t.throws(() => parseConfig('smtp: {}\n', '/x.yaml'), /instance: is required/);
  t.end();
});

t.test('policy.reminderDays: every reminder comes before the disclosure limit (maxEmbargoDays)', (t) => {
  const cfg = (policy: string): string => `instance:\n  domain: example.org\npolicy: ${policy}\n`;
  t.same(parseConfig(cfg('{ maxEmbargoDays: 60, reminderDays: [14, 7, 2] }'), '/x.yaml').policy.reminderDays, [14, 7, 2]);
  t.same(parseConfig(cfg('{ maxEmbargoDays: 15, reminderDays: [14] }'), '/x.yaml').policy.reminderDays, [14], 'one day before is fine');
  const err = t.throws(() => parseConfig(cfg('{ maxEmbargoDays: 10, reminderDays: [30, 10, 2] }'), '/x.yaml')) as ConfigError;
  t.same(err.problems, ['policy.reminderDays: 30, 10 are not before the disclosure limit: each must be less than policy.maxEmbargoDays (10), e.g. [14, 7, 2]']);
  t.throws(() => parseConfig(cfg('{ maxEmbargoDays: 7 }'), '/x.yaml'), /policy\.reminderDays: 14, 7 are not before the disclosure limit: each must be less than policy\.maxEmbargoDays \(7\)/, 'the default reminders against a short limit');
  t.end();
});
