// One scenario in a fresh process (forked by bench/run.ts): `node --expose-gc dist/bench/scenario.js NAME`.
// Prints its details to stdout and sends its ScenarioResult to the parent over IPC.
import '../src/threadpool.js';
import { curve, greeting } from './curve.js';
import { memberKeys } from './lib.js';
import { steady } from './steady.js';
import { bigReport, endToEnd, idle, intake, planner, relay, sustained, type ScenarioResult } from './scenarios.js';
import type { KeyCache } from './lib.js';
import { scale } from './scale.js';

export const scenarios: Record<string, (keys: KeyCache) => Promise<ScenarioResult>> = { idle, greeting, planner, relay, intake, endToEnd, curve, sustained, bigReport, steady, scale };

const name = process.argv[2] ?? '';
const run = scenarios[name];
if (!run) {
  console.error(`unknown scenario ${name}; one of ${Object.keys(scenarios).join(', ')}`);
  process.exit(2);
}
try {
  const result = await run(await memberKeys((s) => console.log(s)));
  await new Promise<void>((resolve) => (process.send ? process.send(result, () => resolve()) : resolve()));
  process.exit(0);
} catch (err) {
  console.error(`scenario ${name} failed:`, err);
  process.exit(1);
}
