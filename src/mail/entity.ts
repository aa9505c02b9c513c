import libmime from 'libmime';

/**
 * A MIME entity split into its exact header bytes and body bytes. Signature checks need the exact
 * bytes of a part, which higher-level parsers do not keep, so this module never re-encodes.
 */
export interface Entity {
  /** Header block as received, without the blank line that ends it. */
  head: Buffer;
  body: Buffer;
  /** Unfolded header fields, names lower-cased, in order of appearance. */
  headers: Array<[string, string]>;
  /** Lower-cased media type, `text/plain` when absent (RFC 2045). */
  type: string;
  params: Record<string, string>;
}

/** Limits that bound the work done on hostile structure (MIME bombs). */
export const mimeLimits = { maxDepth: 20, maxParts: 500 } as const;

function findHeaderEnd(buf: Buffer): { end: number; bodyStart: number } {
  for (let i = 0; i < buf.length; i++) {
    if (buf[i] !== 10) continue;
    if (buf[i + 1] === 10) return { end: i, bodyStart: i + 2 };
    if (buf[i + 1] === 13 && buf[i + 2] === 10) return { end: i, bodyStart: i + 3 };
    if (i === 0) return { end: 0, bodyStart: 1 };
  }
  return { end: buf.length, bodyStart: buf.length };
}

/** Unfolds a header block into fields; malformed lines (no colon) are skipped, never fatal. */
export function parseHeaderBlock(head: string): Array<[string, string]> {
  const fields: Array<[string, string]> = [];
  for (const line of head.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && fields.length > 0) {
      const last = fields[fields.length - 1]!;
      last[1] += ' ' + line.trim();
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    fields.push([line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()]);
  }
  return fields;
}

/** Splits raw bytes into an entity. Total: never throws on malformed input. */
export function parseEntity(raw: Buffer): Entity {
  // A body starting directly (no headers) is allowed: an entity may have an empty header block.
  const startsWithNewline = raw[0] === 10 || (raw[0] === 13 && raw[1] === 10);
  const { end, bodyStart } = startsWithNewline ? { end: 0, bodyStart: raw[0] === 10 ? 1 : 2 } : findHeaderEnd(raw);
  const head = raw.subarray(0, end);
  const headers = parseHeaderBlock(head.toString('latin1'));
  const ct = header(headers, 'content-type');
  let type = 'text/plain';
  let params: Record<string, string> = {};
  if (ct) {
    const parsed = libmime.parseHeaderValue(ct);
    type = (parsed.value || 'text/plain').toLowerCase();
    params = Object.fromEntries(Object.entries(parsed.params ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]));
  }
  return { head, body: raw.subarray(bodyStart), headers, type, params };
}

/** The first value of a header field, or undefined. */
export function header(headers: Array<[string, string]>, name: string): string | undefined {
  return headers.find(([n]) => n === name)?.[1];
}

/**
 * The exact bytes of each body part of a multipart body, per RFC 2046: the line break before a
 * delimiter belongs to the delimiter. Returns undefined when the boundary never appears.
 */
export function splitMultipart(body: Buffer, boundary: string): Buffer[] | undefined {
  const delimiter = Buffer.from('--' + boundary);
  const parts: Buffer[] = [];
  let partStart = -1;
  let pos = 0;
  let found = false;
  while (pos <= body.length) {
    const idx = body.indexOf(delimiter, pos);
    if (idx < 0) break;
    const atLineStart = idx === 0 || body[idx - 1] === 10;
    const after = idx + delimiter.length;
    const closing = body[after] === 45 && body[after + 1] === 45;
    // The delimiter line may carry trailing whitespace only.
    let lineEnd = body.indexOf(10, after);
    if (lineEnd < 0) lineEnd = body.length;
    const rest = body.subarray(closing ? after + 2 : after, lineEnd).toString('latin1');
    if (!atLineStart || !/^[ \t\r]*$/.test(rest)) {
      pos = after;
      continue;
    }
    found = true;
    if (partStart >= 0) {
      let partEnd = idx;
      if (body[partEnd - 1] === 10) partEnd--;
      if (body[partEnd - 1] === 13) partEnd--;
      parts.push(body.subarray(partStart, Math.max(partStart, partEnd)));
      if (parts.length > mimeLimits.maxParts) throw new MimeLimitError(`more than ${mimeLimits.maxParts} parts`);
    }
    if (closing) return parts;
    partStart = lineEnd + 1;
    pos = partStart;
  }
  if (!found) return undefined;
  // No closing delimiter: take what follows the last delimiter as a final part (lenient, as MUAs are).
  if (partStart >= 0 && partStart < body.length) parts.push(body.subarray(partStart));
  return parts;
}

/** Raised when hostile structure exceeds mimeLimits; the message is quarantined with this reason. */
export class MimeLimitError extends Error {
  override name = 'MimeLimitError';
}

/** The parts of a multipart entity, parsed, or undefined when it is not a well-formed multipart. */
export function childrenOf(entity: Entity): Entity[] | undefined {
  if (!entity.type.startsWith('multipart/')) return undefined;
  const boundary = entity.params.boundary;
  if (!boundary) return undefined;
  return splitMultipart(entity.body, boundary)?.map(parseEntity);
}

/** Converts every line ending to CRLF (the canonical form signatures are made over). */
export function toCrlf(buf: Buffer): Buffer {
  const s = buf.toString('latin1').replace(/\r?\n/g, '\r\n');
  return Buffer.from(s, 'latin1');
}

function decodeQuotedPrintable(s: string): Buffer {
  const soft = s.replace(/=\r?\n/g, '');
  const out: number[] = [];
  for (let i = 0; i < soft.length; i++) {
    const c = soft.charCodeAt(i);
    if (c === 61 && /^[0-9A-Fa-f]{2}$/.test(soft.slice(i + 1, i + 3))) {
      out.push(parseInt(soft.slice(i + 1, i + 3), 16));
      i += 2;
    } else out.push(c & 0xff);
  }
  return Buffer.from(out);
}

/** The body with its Content-Transfer-Encoding undone. */
export function decodedBody(entity: Entity): Buffer {
  const cte = (header(entity.headers, 'content-transfer-encoding') ?? '7bit').toLowerCase().trim();
  if (cte === 'base64') return Buffer.from(entity.body.toString('latin1').replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
  if (cte === 'quoted-printable') return decodeQuotedPrintable(entity.body.toString('latin1'));
  return entity.body;
}

/** The body as text, in its declared charset (UTF-8 when absent or unknown). */
export function textOf(entity: Entity): string {
  const bytes = decodedBody(entity);
  const charset = (entity.params.charset ?? 'utf-8').toLowerCase();
  try {
    return new TextDecoder(charset).decode(bytes);
  } catch {
    return new TextDecoder('utf-8').decode(bytes);
  }
}
