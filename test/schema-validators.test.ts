// The ahead-of-time schema validators (src/schema/): the checked-in code is what `npm run generate`
// makes from today's schemas, it answers as the compiled schema does, and a start-up does not load
// ajv's compiler. A stale file is never used (validatorFor compiles instead).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { repoRoot } from './helpers/child.js';
import { validatorTargets, configValidatorOptions } from '../src/schema/targets.js';
import { schemaHash, standaloneSource, validatorFor } from '../src/schema/validator.js';
import * as generated from '../src/config/config-validator.generated.js';
import { configSchema } from '../src/config/schema.js';

t.test('the generated validators are up to date (else: npm run generate)', async (t) => {
  for (const target of validatorTargets) {
    const onDisk = readFileSync(resolve(repoRoot, target.file), 'utf8');
    t.equal(onDisk, standaloneSource(target.schema, target.options), `${target.file} matches its schema`);
  }
});

t.test('generated and compiled validators give the same answers', async (t) => {
  const fresh = validatorFor(configSchema, configValidatorOptions, { validate: null, schemaHash: 'stale' });
  const aot = validatorFor(configSchema, configValidatorOptions, generated);
  t.not(fresh, generated.validate, 'a stale generated validator is not used');
  t.equal(aot, generated.validate, 'a current one is');
  const cases: unknown[] = [
    {},
    { instance: { domain: 'example.org' } },
    { instance: { domain: 'bad domain!', separator: '#' }, extra: 1 },
    { instance: { domain: 'example.org', intake: 7 }, policy: { maxEmbargoDays: 'x' } },
  ];
  for (const c of cases) {
    const a = structuredClone(c);
    const b = structuredClone(c);
    t.equal(aot(a), fresh(b), `verdict for ${JSON.stringify(c)}`);
    t.same(aot.errors ?? null, fresh.errors ?? null, 'same errors');
    t.same(a, b, 'same defaults filled in');
  }
  t.not(schemaHash(configSchema, configValidatorOptions), schemaHash(configSchema, { ...configValidatorOptions, useDefaults: false }), 'options are part of the hash');
});

t.test('loading the configuration does not load ajv\'s compiler', async (t) => {
  const script = `
    import { createRequire } from 'node:module';
    import { loadConfig } from './dist/src/config/load.js';
    import { parseAdvisory } from './dist/src/advisories/parse.js';
    loadConfig();
    const loaded = Object.keys(createRequire(import.meta.url).cache);
    console.log(JSON.stringify(loaded.filter((k) => /ajv[\\/]dist[\\/](ajv|core|compile)/.test(k))));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: repoRoot, encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
  t.same(JSON.parse(r.stdout), [], 'no ajv compiler module loaded');
});
