/** `npm run generate`: writes the ahead-of-time validators (src/schema/targets.ts) into the source tree. */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { validatorTargets } from './targets.js';
import { standaloneSource } from './validator.js';

for (const t of validatorTargets) {
  writeFileSync(fileURLToPath(new URL(`../../${t.file}`, import.meta.url)), standaloneSource(t.schema, t.options));
  console.log(`wrote ${t.file}`);
}
