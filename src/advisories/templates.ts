/**
 * A deliberately tiny template language for templates/advisory/*, so the team can change wording
 * and markup without touching code:
 *
 *   {{name}}  {{a.b}}  {{this}}  {{@index}}      a value (HTML/XML-escaped in .html/.xml templates)
 *   {{#each list}} … {{else}} … {{/each}}        loop; inside, names resolve in the item first
 *   {{#if name}} … {{else}} … {{/if}}            truthy test (empty lists and "" are false)
 *   {{#unless name}} … {{/unless}}
 *   {{! comment }}
 *
 * There is no way to emit a value unescaped in HTML: templates cannot reintroduce injection.
 * A block tag alone on its line removes that whole line, so text templates stay tidy.
 * A name found nowhere in scope is an error, so a typo in a template fails loudly at render.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export class TemplateError extends Error {
  override name = 'TemplateError';
}

export type TemplateMode = 'html' | 'text';

type Node =
  | { t: 'text'; v: string }
  | { t: 'var'; path: string }
  | { t: 'block'; kind: 'each' | 'if' | 'unless'; path: string; body: Node[]; alt: Node[] };

/** Directory holding package.json, found by walking up from this module (works from src/ and dist/src/). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the package root (no package.json above the advisories module)');
    dir = up;
  }
}

/**
 * The templates directories of an instance: `advisories.templatesDir` (relative to the config
 * file; default the package's templates/) holding `advisory/` and `notices/`. A file missing
 * there is taken from the shipped directory (renderTemplateFile's fallback).
 */
export function instanceTemplates(config: { file: string; advisories?: { templatesDir?: string } }): { advisory: string; notices: string } {
  const root = config.advisories?.templatesDir ? resolve(dirname(config.file), config.advisories.templatesDir) : resolve(packageRoot(), 'templates');
  return { advisory: join(root, 'advisory'), notices: join(root, 'notices') };
}

/** The shipped notices directory: templates/notices under the package root. */
export function defaultNoticesDir(): string {
  return resolve(packageRoot(), 'templates/notices');
}

/** The shipped templates directory: templates/advisory under the package root. */
export function defaultTemplatesDir(): string {
  return resolve(packageRoot(), 'templates/advisory');
}

const STANDALONE = /^[ \t]*(\{\{(?:[#/](?:each|if|unless)\b[^}]*|else|![^}]*)\}\})[ \t]*(?:\r?\n|$)/gm;

/** Parses template source; throws TemplateError naming the template and the bad tag. */
export function compileTemplate(source: string, name: string): Node[] {
  const src = source.replace(STANDALONE, '$1');
  const root: Node[] = [];
  const stack: Array<{ node: Extract<Node, { t: 'block' }>; inAlt: boolean }> = [];
  const target = (): Node[] => {
    const top = stack[stack.length - 1];
    return top ? (top.inAlt ? top.node.alt : top.node.body) : root;
  };
  const re = /\{\{([\s\S]*?)\}\}/g;
  let last = 0;
  for (let m = re.exec(src); m; m = re.exec(src)) {
    if (m.index > last) target().push({ t: 'text', v: src.slice(last, m.index) });
    last = m.index + m[0].length;
    const tag = (m[1] ?? '').trim();
    const line = src.slice(0, m.index).split('\n').length;
    const where = `${name}: line ${line}: {{${tag}}}`;
    if (tag.startsWith('!')) continue;
    const open = /^#(each|if|unless)\s+([\w@.]+)$/.exec(tag);
    if (open) {
      const node = { t: 'block', kind: open[1] as 'each' | 'if' | 'unless', path: open[2] ?? '', body: [], alt: [] } as Extract<Node, { t: 'block' }>;
      target().push(node);
      stack.push({ node, inAlt: false });
      continue;
    }
    if (tag === 'else') {
      const top = stack[stack.length - 1];
      if (!top || top.inAlt) throw new TemplateError(`${where}: else outside a block`);
      top.inAlt = true;
      continue;
    }
    const close = /^\/(each|if|unless)$/.exec(tag);
    if (close) {
      const top = stack.pop();
      if (!top || top.node.kind !== close[1]) throw new TemplateError(`${where}: does not close the open block`);
      continue;
    }
    if (!/^[\w@.]+$/.test(tag)) throw new TemplateError(`${where}: not a tag this engine knows`);
    target().push({ t: 'var', path: tag });
  }
  if (last < src.length) target().push({ t: 'text', v: src.slice(last) });
  const open = stack.pop();
  if (open) throw new TemplateError(`${name}: {{#${open.node.kind} ${open.node.path}}} is never closed`);
  return root;
}

/** Removes characters that are invalid in XML 1.0 and meaningless in mail (keeps tab and newline). */
export function stripControls(s: string): string {
  return s.replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]/g, '');
}

/** Escapes text for HTML and XML content and quoted attributes. */
export function escapeHtml(s: string): string {
  return stripControls(s)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

type Scope = readonly unknown[];

function lookup(scopes: Scope, path: string, name: string): unknown {
  if (path === 'this') return scopes[scopes.length - 1];
  const [head = '', ...rest] = path.split('.');
  for (let i = scopes.length - 1; i >= 0; i--) {
    const s = scopes[i];
    if (s !== null && typeof s === 'object' && head in s) {
      let v: unknown = (s as Record<string, unknown>)[head];
      for (const p of rest) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[p] : undefined;
      return v;
    }
  }
  throw new TemplateError(`${name}: unknown name {{${path}}}`);
}

function truthy(v: unknown): boolean {
  return Array.isArray(v) ? v.length > 0 : Boolean(v);
}

function show(v: unknown): string {
  if (v === null || v === undefined || typeof v === 'boolean') return '';
  if (Array.isArray(v)) return v.map(show).join(', ');
  if (typeof v === 'object') return '';
  return String(v);
}

/**
 * Renders a compiled template. In `html` mode every value is escaped; in `text` mode a multi-line
 * value is indented to the column it starts at, so `- {{note}}` keeps a hanging indent.
 */
export function renderNodes(nodes: Node[], data: object, mode: TemplateMode, name: string): string {
  const out: string[] = [];
  // The column where the next output starts, kept as output is appended (text mode indents
  // continuation lines of a value to it); recomputing it from the whole output was quadratic.
  let column = 0;
  const emit = (s: string): void => {
    out.push(s);
    const nl = s.lastIndexOf('\n');
    column = nl < 0 ? column + s.length : s.length - nl - 1;
  };
  const walk = (list: Node[], scopes: Scope): void => {
    for (const n of list) {
      if (n.t === 'text') emit(n.v);
      else if (n.t === 'var') {
        const s = show(lookup(scopes, n.path, name));
        if (mode === 'html') emit(escapeHtml(s));
        else emit(stripControls(s).replace(/\n(?!\n|$)/g, `\n${' '.repeat(column)}`));
      } else {
        const v = lookup(scopes, n.path, name);
        if (n.kind === 'each') {
          const items = Array.isArray(v) ? v : [];
          if (items.length === 0) walk(n.alt, scopes);
          items.forEach((item, i) => {
            const meta = { '@index': i, '@number': i + 1, '@first': i === 0, '@last': i === items.length - 1 };
            walk(n.body, [...scopes, meta, item]);
          });
        } else if (truthy(v) === (n.kind === 'if')) walk(n.body, scopes);
        else walk(n.alt, scopes);
      }
    }
  };
  walk(nodes, [data]);
  return out.join('');
}

/**
 * Reads `file` from `dir`, or from `fallbackDir` (the shipped templates/advisory) when `dir` is
 * not given or lacks that file, and renders it; `.html` and `.xml` templates are escaped, others
 * are text. Throws TemplateError for a missing or broken template, naming it.
 */
export function renderTemplateFile(file: string, data: object, dir?: string, fallbackDir: string = defaultTemplatesDir()): string {
  // A team's own directory may hold only the templates it changed: the others are ours.
  const own = dir ? resolve(dir, file) : undefined;
  const path = own && existsSync(own) ? own : resolve(fallbackDir, file);
  let source: string;
  try {
    source = readFileSync(path, 'utf8');
  } catch (e) {
    throw new TemplateError(`cannot read template ${path}: ${(e as Error).message}`);
  }
  const mode: TemplateMode = /\.(html|xml)$/.test(file) ? 'html' : 'text';
  return renderNodes(compileTemplate(source, path), data, mode, path);
}
