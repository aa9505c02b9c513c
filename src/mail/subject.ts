import libmime from 'libmime';

/** Reply and forward prefixes mail clients put before a subject (English, German, Nordic, Dutch, Outlook). */
const PREFIX = /^(?:(?:re|aw|sv|vs|antw|fwd?|wg|tr)(?:\[\d+\])?\s*:\s*)+/i;

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The subject of a case's mail: the case tag `[CASE-ID]` once, after any reply/forward prefixes
 * (`Re: [SEC-2026-0001] x`), every other copy of the tag removed and whitespace collapsed. Pure.
 */
export function caseSubject(caseId: string, subject: string): string {
  const tag = `[${caseId}]`;
  const flat = subject.replace(new RegExp(escape(tag), 'gi'), ' ').replace(/\s+/g, ' ').trim();
  const prefix = PREFIX.exec(flat)?.[0] ?? '';
  const rest = flat.slice(prefix.length).trim();
  const head = prefix.replace(/\s*:\s*/g, ': ').trim();
  return [head, tag, rest].filter((s) => s !== '').join(' ');
}

/**
 * A header value (subject, display name) as people read it: RFC 2047 encoded words decoded, raw
 * 8-bit UTF-8 (read as latin1 by the entity parser) decoded, control characters and runs of
 * whitespace collapsed to one space. Pure and total: an undecodable word stays as written.
 */
export function decodeHeaderText(value: string): string {
  let text = value;
  // parseEntity reads header bytes as latin1: raw UTF-8 (RFC 6532) is turned back into characters.
  if (/[\x80-\xff]/.test(text) && !/[^\x00-\xff]/.test(text)) {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(text, 'latin1'));
    } catch {
      // Not UTF-8: keep latin1.
    }
  }
  if (text.includes('=?')) {
    try {
      text = libmime.decodeWords(text);
    } catch {
      // A malformed encoded word stays as written.
    }
  }
  return text.replace(/[\x00-\x1f\x7f]+/g, ' ').replace(/\s+/g, ' ').trim();
}
