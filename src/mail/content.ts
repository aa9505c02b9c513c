import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { MailParser, type AttachmentStream, type MessageText } from 'mailparser';
import { sliceReadable } from '../pgp/streams.js';
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

/**
 * Parses a decoded message (MIME) for its text and attachments. An attachment over
 * ATTACHMENT_LIMIT keeps only its name and type: vmtd relays the message as it came (not from
 * this parse) and looks in attachments only for keys, patches and advisory YAML, none of which
 * is that large, so a 20 MB proof of concept is never held twice in memory.
 *
 * Given the message as a Buffer, the parser is spared the bodies of attachments it would decode
 * slowly or only to drop them (omitBodies): one certainly over the limit is listed, truncated; a
 * plain base64 one is decoded natively. The result is the same, each attachment in its place.
 */
export function readContent(source: Readable | Buffer): Promise<MessageContent> {
  if (!Buffer.isBuffer(source)) return parse(source, null, []);
  const token = randomBytes(12).toString('hex');
  const { mime, cuts } = omitBodies(source, token);
  return parse(sliceReadable(mime), token, cuts);
}

function parse(source: Readable, token: string | null, cuts: Cut[]): Promise<MessageContent> {
  return new Promise((resolve, reject) => {
    const parser = new MailParser({ skipHtmlToText: false, skipImageLinks: true, skipTextToHtml: true, checksumAlgo: false });
    const attachments: ContentAttachment[] = [];
    let text: string | undefined;
    parser.on('data', (data: AttachmentStream | MessageText) => {
      if (data.type === 'text') {
        text = data.text;
        return;
      }
      const mark = token === null ? undefined : /^([0-9a-f]+)\.(\d+)$/.exec(String(data.headers.get(NOT_READ) ?? ''));
      const cut = mark && mark[1] === token ? cuts[Number(mark[2])] : undefined;
      const chunks: Buffer[] = [];
      let size = 0;
      data.content.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= ATTACHMENT_LIMIT) chunks.push(chunk);
        else chunks.length = 0;
      });
      data.content.on('end', () => {
        const truncated = cut ? cut.content === null : size > ATTACHMENT_LIMIT;
        const content = truncated ? Buffer.alloc(0) : (cut?.content ?? Buffer.concat(chunks));
        attachments.push({ filename: data.filename, contentType: data.contentType, content, truncated });
        data.release?.();
      });
    });
    parser.on('end', () => resolve({ text, attachments }));
    parser.on('error', reject);
    source.on('error', reject);
    source.pipe(parser);
  });
}


/** 1 for the 64 base64 characters, 0 for anything else (line breaks, padding, junk). */
const BASE64_CHAR = (() => {
  const t = new Uint8Array(256);
  for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/') t[c.charCodeAt(0)] = 1;
  return t;
})();

/** Base64 bodies from this size on are decoded natively here instead of by the parser (see readContent). */
const NATIVE_BASE64_FROM = 64 * 1024;

/**
 * A base64 body as the parser would decode it, when that is certain without it: `truncated` when
 * it decodes to more than `limit` bytes (counted only until that is known: the first ~1.4 MB of
 * its characters, whatever its size), else its content decoded natively, when the body is plain
 * base64 (alphabet and line breaks, `=` padding at the end only: anything else is left to the
 * parser, whose handling of stray characters the native decoder need not share); undefined when
 * left to the parser.
 */
function base64Body(body: Buffer, limit: number): { truncated: true } | { truncated: false; content: Buffer } | undefined {
  const enough = Math.floor((limit * 4) / 3) + 4; // base64 characters that decode to more than `limit` bytes
  let chars = 0;
  let plain = true;
  let padding = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (BASE64_CHAR[c]) {
      if (padding > 0) plain = false;
      if (++chars >= enough) return { truncated: true };
    } else if (c === 0x3d) padding++;
    else if (c !== 0x0d && c !== 0x0a) plain = false;
  }
  if (!plain || padding > 2) return undefined;
  const content = Buffer.from(body.toString('latin1'), 'base64');
  return content.length === Math.floor((chars * 3) / 4) && content.length <= limit ? { truncated: false, content } : undefined;
}

/** What the parser is not given to read: a part's body (the part's index among them is its marker). */
interface Cut {
  head: number;
  body: number;
  end: number;
  /** The body decoded here; null when over the limit (listed, truncated). */
  content: Buffer | null;
}

/**
 * `raw` for the parser, with the bodies it need not read left out: of every part that is certainly
 * over ATTACHMENT_LIMIT, and of every other plain base64 attachment from NATIVE_BASE64_FROM bytes
 * on (decoded here natively: mailparser's base64 decoding in JavaScript cost ~50 ms of CPU per MiB,
 * most of a 1 MB report's reading). Each such part's header block is marked with `token` and its
 * index (NOT_READ), so its place among the attachments is kept. Only parts that are neither text,
 * nor a message, nor a multipart are left out. Structure as src/mail/entity.ts reads it, as decode
 * does; the message itself is unchanged (it is relayed as it came). On structure beyond
 * mimeLimits, `raw` is returned as it is, for the parser to refuse.
 */
function omitBodies(raw: Buffer, token: string): { mime: Buffer; cuts: Cut[] } {
  const cuts: Cut[] = [];
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
    if (e.type.startsWith('text/') || e.type.startsWith('message/') || e.body.length < NATIVE_BASE64_FROM) return;
    const cte = (header(e.headers, 'content-transfer-encoding') ?? '7bit').toLowerCase().trim();
    const cut = (content: Buffer | null): void => void cuts.push({ head: offset(part), body: offset(e.body), end: offset(e.body) + e.body.length, content });
    // A margin over the limit for unencoded bodies: a part near it is left to the parser's own count.
    if (cte === '7bit' || cte === '8bit' || cte === 'binary') return e.body.length > ATTACHMENT_LIMIT + 16 ? cut(null) : undefined;
    if (cte !== 'base64') return; // quoted-printable and the rest: the parser's
    const b = base64Body(e.body, ATTACHMENT_LIMIT);
    if (b) cut(b.truncated ? null : b.content);
  };
  try {
    walk(raw, 0);
  } catch (err) {
    if (err instanceof MimeLimitError) return { mime: raw, cuts: [] };
    throw err;
  }
  if (cuts.length === 0) return { mime: raw, cuts };
  const pieces: Buffer[] = [];
  let at = 0;
  cuts.forEach((c, i) => {
    pieces.push(raw.subarray(at, c.head), Buffer.from(`X-Vmtd-Not-Read: ${token}.${i}\r\n`), raw.subarray(c.head, c.body));
    at = c.end;
  });
  pieces.push(raw.subarray(at));
  return { mime: Buffer.concat(pieces), cuts };
}
