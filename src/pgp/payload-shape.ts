/** What decrypted data is, to relay it as the sender meant it. */
export type PayloadShape = 'mime' | 'text' | 'file';

/**
 * Whether decrypted data starts with a MIME header block naming a Content-Type (PGP/MIME's
 * encrypted entity), as opposed to bare text (inline PGP) or a file. Only the first 16 KiB are
 * looked at. Pure.
 */
export function looksLikeMimeEntity(data: Uint8Array): boolean {
  const head = Buffer.from(data.buffer, data.byteOffset, Math.min(data.length, 16384)).toString('latin1');
  let sawContentType = false;
  for (const line of head.split(/\r?\n/)) {
    if (line === '') return sawContentType;
    if (/^[ \t]/.test(line)) continue; // a folded continuation
    const m = /^([!-9;-~]+):/.exec(line);
    if (!m) return false;
    if (m[1]!.toLowerCase() === 'content-type') sawContentType = true;
  }
  return false;
}

/** Whether data is UTF-8 text (no NUL, no invalid sequence). */
export function isUtf8Text(data: Uint8Array): boolean {
  if (data.includes(0)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(data);
    return true;
  } catch {
    return false;
  }
}

/**
 * The shape of the decrypted content of an `application/pgp-encrypted` part that holds an armored
 * message itself (iPGMail), as Thunderbird reads it: a MIME entity is the message; text without a
 * file name of its own (`PGPMessage.asc`, not `report.pdf.asc`) is the message's text; anything
 * else is a file. Pure.
 */
export function encryptedPartShape(fileName: string, data: Uint8Array): PayloadShape {
  if (looksLikeMimeEntity(data)) return 'mime';
  const inner = fileName.replace(/\.(asc|pgp|gpg)$/i, '');
  if (/\.[A-Za-z0-9]{1,8}$/.test(inner) && !/\.(txt|text)$/i.test(inner)) return 'file';
  return isUtf8Text(data) ? 'text' : 'file';
}
