/**
 * Field paths and YAML line numbers for validation errors.
 * Paths read like `affected-products[0].version` or `reviews["2023.1/antelope"][0]`, so an
 * author can find the field without knowing JSON Pointer.
 */
import { isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';

export type Segment = string | number;

/** Renders path segments the way the documentation writes field paths. */
export function formatPath(segments: readonly Segment[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(s)) out += out === '' ? s : `.${s}`;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out === '' ? '(document)' : out;
}

/** Converts an ajv instancePath (JSON Pointer) into segments; array indices become numbers. */
export function pointerToSegments(pointer: string, root: unknown): Segment[] {
  const out: Segment[] = [];
  let cur: unknown = root;
  for (const raw of pointer.split('/').slice(1)) {
    const p = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) {
      out.push(Number(p));
      cur = cur[Number(p)];
    } else {
      out.push(p);
      cur = cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>)[p] : undefined;
    }
  }
  return out;
}

/**
 * The 1-based line of the node at `segments` (of its key when `key` is set). When the node does
 * not exist (a missing field), the line of its nearest existing ancestor, so a "missing" error
 * points at the mapping that should hold the field.
 */
export function lineOf(doc: Document, lc: LineCounter, segments: readonly Segment[], key = false): number {
  let node: unknown = doc.contents;
  let keyNode: unknown;
  let best = startLine(node, lc) ?? 1;
  for (const seg of segments) {
    keyNode = undefined;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) return best;
      keyNode = pair.key;
      node = pair.value;
      best = startLine(node, lc) ?? startLine(keyNode, lc) ?? best;
    } else if (isSeq(node) && typeof seg === 'number') {
      node = node.items[seg];
      if (node === undefined) return best;
      best = startLine(node, lc) ?? best;
    } else {
      return best;
    }
  }
  if (key && keyNode !== undefined) return startLine(keyNode, lc) ?? best;
  return best;
}

function startLine(node: unknown, lc: LineCounter): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  if (!range) return undefined;
  return lc.linePos(range[0]).line;
}
