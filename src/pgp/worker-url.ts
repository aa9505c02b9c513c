import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The entry of a worker thread beside `base` (a module's import.meta.url): the compiled `.js`
 * when vmtd runs from dist/. When it runs from source (the tests, under tsx) it is a small module
 * that registers tsx in the thread and then imports the `.ts` source: tsx's loader maps a `.js`
 * import to its `.ts` file, but worker threads do not inherit it (Node 20: "Unknown file
 * extension .ts"). Either way the thread runs the same code and gets only what is posted to it.
 */
export function workerUrl(name: string, base: string): URL {
  const js = new URL(`./${name}.js`, base);
  if (existsSync(fileURLToPath(js))) return js;
  const ts = new URL(`./${name}.ts`, base).href;
  const code = `const tsx = await import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))});\ntsx.register();\nawait import(${JSON.stringify(ts)});\n`;
  return new URL(`data:text/javascript,${encodeURIComponent(code)}`);
}
