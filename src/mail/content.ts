import type { Readable } from 'node:stream';
import { MailParser, type AttachmentStream, type MessageText } from 'mailparser';

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

/**
 * Parses a decoded message (MIME) for its text and attachments. An attachment over
 * ATTACHMENT_LIMIT keeps only its name and type: vmtd relays the message as it came (not from
 * this parse) and looks in attachments only for keys, patches and advisory YAML, none of which
 * is that large, so a 20 MB proof of concept is never held twice in memory.
 */
export function readContent(source: Readable): Promise<MessageContent> {
  return new Promise((resolve, reject) => {
    const parser = new MailParser({ skipHtmlToText: false, skipImageLinks: true, skipTextToHtml: true, checksumAlgo: false });
    const attachments: ContentAttachment[] = [];
    let text: string | undefined;
    parser.on('data', (data: AttachmentStream | MessageText) => {
      if (data.type === 'text') {
        text = data.text;
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      data.content.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= ATTACHMENT_LIMIT) chunks.push(chunk);
        else chunks.length = 0;
      });
      data.content.on('end', () => {
        const truncated = size > ATTACHMENT_LIMIT;
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
