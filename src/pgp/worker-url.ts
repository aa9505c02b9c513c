import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The entry file of a worker thread beside `base` (a module's import.meta.url): the compiled `.js`
 * when vmtd runs from dist/, the `.ts` source when it runs from source (the tests, under tsx, whose
 * loader maps a `.js` import to its `.ts` file but not a worker's entry point).
 */
export function workerUrl(name: string, base: string): URL {
  const js = new URL(`./${name}.js`, base);
  return existsSync(fileURLToPath(js)) ? js : new URL(`./${name}.ts`, base);
}
