import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { setImmediate } from 'node:timers/promises';
import { MailParser, type AttachmentStream, type MessageText } from 'mailparser';
import { header, MimeLimitError, mimeLimits, parseEntity, splitMultipart } from './entity.js';

/** Attachments larger than this are listed but their content is not kept (see readContent). */
export const ATTACHMENT_LIMIT = 1 << 20;

/** One attachment of a decoded message. */
export interface ContentAttachment {
  filename: string | undefined;
  contentType: string;
  /** The decoded content; empty when `truncated`. */
  content: Buffer;
  /** The attachment was over ATTACHMENT_LIMIT: vmtd reads no key, patch or advisory from it. */
  truncated: boolean;
}

/** What vmtd reads in a decoded message: its text and its attachments. */
export interface MessageContent {
  text: string | undefined;
  attachments: ContentAttachment[];
}

/** The header that marks a part whose body was left out before parsing (with a per-parse token). */
const NOT_READ = 'x-vmtd-not-read';
/** Slices fed to the parser, one per event-loop turn. */
const SLICE = 1 << 20;

/**
 * Parses a decoded message (MIME) for its text and attachments. An attachment over
 * ATTACHMENT_LIMIT keeps only its name and type: vmtd relays the message as it came (not from
 * this parse) and looks in attachments only for keys, patches and advisory YAML, none of which
 * is that large, so a 20 MB proof of concept is never held twice in memory.
 *
 * Given the message as a Buffer, a part that is certainly over the limit (not text, not a
 * message or multipart, base64 or unencoded, more than ATTACHMENT_LIMIT bytes once decoded) has
 * its body left out before the parser sees it: the parser would decode it only for it to be
 * dropped (that cost ~55 ms of CPU per MiB here, most of a 1 MB report's processing). The
 * result is the same: the part is listed, truncated, in its place among the attachments.
 */
export function readContent(source: Readable | Buffer): Promise<MessageContent> {
  if (!Buffer.isBuffer(source)) return parse(source, null);
  const token = randomBytes(12).toString('hex');
  return parse(slices(omitLargeBodies(source, token)), token);
}

function parse(source: Readable, token: string | null): Promise<MessageContent> {
  return new Promise((resolve, reject) => {
    const parser = new MailParser({ skipHtmlToText: false, skipImageLinks: true, skipTextToHtml: true, checksumAlgo: false });
    const attachments: ContentAttachment[] = [];
    let text: string | undefined;
    parser.on('data', (data: AttachmentStream | MessageText) => {
      if (data.type === 'text') {
        text = data.text;
        return;
      }
      const omitted = token !== null && data.headers.get(NOT_READ) === token;
      const chunks: Buffer[] = [];
      let size = 0;
      data.content.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= ATTACHMENT_LIMIT) chunks.push(chunk);
        else chunks.length = 0;
      });
      data.content.on('end', () => {
        const truncated = omitted || size > ATTACHMENT_LIMIT;
        attachments.push({ filename: data.filename, contentType: data.contentType, content: truncated ? Buffer.alloc(0) : Buffer.concat(chunks), truncated });
        data.release?.();
      });
    });
    parser.on('end', () => resolve({ text, attachments }));
    parser.on('error', reject);
    source.on('error', reject);
    source.pipe(parser);
  });
}

/** `bytes` as a stream of 1 MiB slices (views), one per event-loop turn. */
function slices(bytes: Buffer): Readable {
  return Readable.from(
    (async function* () {
      for (let at = 0; at < bytes.length; at += SLICE) {
        if (at > 0) await setImmediate();
        yield bytes.subarray(at, at + SLICE);
      }
    })(),
    { objectMode: false },
  );
}

/** 1 for the 64 base64 characters, 0 for anything else (line breaks, padding, junk). */
const BASE64_CHAR = (() => {
  const t = new Uint8Array(256);
  for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/') t[c.charCodeAt(0)] = 1;
  return t;
})();

/**
 * Whether a part's body certainly decodes to more than `limit` bytes (false when that is not cheap
 * to know: quoted-printable and unknown encodings are left to the parser). A base64 body is
 * counted only until it is known to be over: the first ~1.4 MB of its characters, whatever its size.
 */
function decodesToMoreThan(body: Buffer, cte: string, limit: number): boolean {
  if (cte === '7bit' || cte === '8bit' || cte === 'binary') return body.length > limit;
  if (cte !== 'base64') return false;
  const enough = Math.floor((limit * 4) / 3) + 4; // base64 characters that decode to more than `limit` bytes
  let chars = 0;
  for (let i = 0; i < body.length; i++) if ((chars += BASE64_CHAR[body[i]!]!) >= enough) return true;
  return false;
}

/**
 * `raw` with the body of every part that is certainly over ATTACHMENT_LIMIT left out and its
 * header block marked with `token` (NOT_READ). Structure as src/mail/entity.ts reads it, as decode
 * does; the message itself is unchanged (it is relayed as it came). On structure beyond
 * mimeLimits, `raw` is returned as it is, for the parser to refuse.
 */
function omitLargeBodies(raw: Buffer, token: string): Buffer {
  const cuts: Array<{ head: number; body: number; end: number }> = [];
  const offset = (b: Buffer): number => b.byteOffset - raw.byteOffset;
  const walk = (part: Buffer, depth: number): void => {
    if (depth > mimeLimits.maxDepth) throw new MimeLimitError('too deep');
    if (part.buffer !== raw.buffer) return; // (never: parts are views of `raw`)
    const e = parseEntity(part);
    if (e.type.startsWith('multipart/')) {
      const children = e.params.boundary ? splitMultipart(e.body, e.params.boundary) : undefined;
      for (const c of children ?? []) walk(c, depth + 1);
      return;
    }
    if (e.type.startsWith('text/') || e.type.startsWith('message/') || e.body.length <= ATTACHMENT_LIMIT) return;
    const cte = (header(e.headers, 'content-transfer-encoding') ?? '7bit').toLowerCase().trim();
    // A margin over the limit: a part near it is left to the parser's own count.
    if (decodesToMoreThan(e.body, cte, ATTACHMENT_LIMIT + 16)) cuts.push({ head: offset(part), body: offset(e.body), end: offset(e.body) + e.body.length });
  };
  try {
    walk(raw, 0);
  } catch (err) {
    if (err instanceof MimeLimitError) return raw;
    throw err;
  }
  if (cuts.length === 0) return raw;
  const pieces: Buffer[] = [];
  let at = 0;
  for (const c of cuts) {
    pieces.push(raw.subarray(at, c.head), Buffer.from(`X-Vmtd-Not-Read: ${token}\r\n`), raw.subarray(c.head, c.body));
    at = c.end;
  }
  pieces.push(raw.subarray(at));
  return Buffer.concat(pieces);
}
