// The structure the code must keep (docs/architecture.md): the pure core (cases/, commands/,
// scheduler/) imports no storage, delivery, composing or process wiring, and no import cycle exists.
// Read off the source itself, so a change that breaks a rule fails here.
import t from 'tap';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const src = resolve(import.meta.dirname, '../src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** src-relative file → the src-relative files it imports (static, dynamic and type-only alike). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const f of files(src)) {
    const text = readFileSync(f, 'utf8');
    const specs = [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map((m) => m[1]!);
    graph.set(
      relative(src, f),
      specs.map((s) => relative(src, resolve(dirname(f), s)).replace(/\.js$/, '.ts')),
    );
  }
  return graph;
}

const graph = importGraph();
const pureCore = ['cases/', 'commands/', 'scheduler/'];
const forbidden = ['outbound/', 'store/', 'compose/', 'intake/', 'jobs/', 'cli/', 'context.ts', 'daemon.ts'];

t.test('the pure core imports no storage, delivery, composing or wiring', async (t) => {
  const bad: string[] = [];
  for (const [file, deps] of graph) {
    if (!pureCore.some((p) => file.startsWith(p))) continue;
    for (const d of deps) if (forbidden.some((p) => d.startsWith(p))) bad.push(`${file} → ${d}`);
  }
  t.same(bad, [], 'no arrow from cases/, commands/ or scheduler/ into outbound/, store/ or the wiring');
  t.ok([...graph.keys()].filter((f) => pureCore.some((p) => f.startsWith(p))).length >= 8, 'the rule looked at the core files');
});

t.test('no import cycle', async (t) => {
  const cycles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const walk = (f: string, path: string[]): void => {
    if (state.get(f) === 'done') return;
    if (state.get(f) === 'open') {
      cycles.push([...path.slice(path.indexOf(f)), f].join(' → '));
      return;
    }
    state.set(f, 'open');
    for (const d of graph.get(f) ?? []) walk(d, [...path, f]);
    state.set(f, 'done');
  };
  for (const f of graph.keys()) walk(f, []);
  t.same(cycles, [], 'the import graph is acyclic');
});

t.test('SQL lives in store/', async (t) => {
  // Nothing left to move: the doctor's and the metrics' reads live in store/doctor-facts.ts and store/metrics-facts.ts.
  const pending: string[] = [];
  const outside = files(src)
    .map((f) => relative(src, f))
    .filter((f) => !f.startsWith('store/') && !pending.includes(f) && /\.prepare\(|\.exec\(\s*['`]/.test(readFileSync(join(src, f), 'utf8')));
  t.same(outside, [], 'no statement is prepared outside store/');
});

t.test('the rule can fail: a cycle and a forbidden arrow are found when present', async (t) => {
  // Guards the checks above against matching nothing (e.g. a changed import style).
  t.ok([...graph.values()].flat().some((d) => d.startsWith('store/')), 'store/ imports are seen at all');
  t.ok((graph.get('intake/process.ts') ?? []).includes('intake/case-mail.ts'), 'relative imports resolve to files');
});
