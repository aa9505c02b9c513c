import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * The entry of a worker thread beside `base` (a module's import.meta.url): the compiled `.js`
 * when vmtd runs from dist/. When it runs from source (the tests, under tsx), the compiled file of
 * the same module under `dist/` is used when it exists — as the tests' child processes run `dist/`,
 * which `npm test` builds first — because a thread that compiles TypeScript itself costs about
 * 0.5 s more CPU at every start. Without a build, the thread registers tsx and imports the `.ts`
 * source (tsx's loader is not inherited by worker threads on Node 20). Either way the thread runs
 * the same code and gets only what is posted to it.
 */
export function workerUrl(name: string, base: string): URL {
  const js = new URL(`./${name}.js`, base);
  if (existsSync(fileURLToPath(js))) return js;
  const built = builtTwin(new URL(`./${name}.js`, base));
  if (built) return built;
  const ts = new URL(`./${name}.ts`, base).href;
  const code = `const tsx = await import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))});\ntsx.register();\nawait import(${JSON.stringify(ts)});\n`;
  return new URL(`data:text/javascript,${encodeURIComponent(code)}`);
}

/** `ROOT/src/x.js` → `ROOT/dist/src/x.js`, when that file exists. */
function builtTwin(js: URL): URL | null {
  const path = fileURLToPath(js);
  const at = path.lastIndexOf('/src/');
  if (at < 0) return null;
  const twin = `${path.slice(0, at)}/dist${path.slice(at)}`;
  return existsSync(twin) ? pathToFileURL(twin) : null;
}
