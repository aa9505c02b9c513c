import type { ReadableStream } from 'node:stream/web';
import { createHash } from 'node:crypto';
import * as openpgp from 'openpgp';
import { childrenOf, decodedBody, header, MimeLimitError, mimeLimits, parseEntity, splitMultipart, textOf, toCrlf, type Entity } from '../mail/entity.js';
import { attachmentEntity, textEntity } from '../mail/compose.js';
import { dearmor, findArmor } from './dearmor.js';
import { collect, sliceStream } from './streams.js';
import { encryptedPartShape } from './payload-shape.js';
import { judgeSignatures, readConfig, unsigned, verifyCleartext, verifyDetached, type SignatureCheck } from './verify.js';

/** How the message was protected on the wire. */
export type WireFormat = 'pgp-mime' | 'inline' | 'plain';

/** The meaning of an inbound message once its OpenPGP layers are removed. */
export interface Decoded {
  format: WireFormat;
  encrypted: boolean;
  signature: SignatureCheck;
  /**
   * The MIME entity the sender wrote, byte-exact, with encryption and signature layers removed.
   * When a message mixes encrypted and clear parts, only the decrypted parts are here (EFAIL).
   */
  content: Buffer;
  /** Notes for the relay preamble and the audit log (e.g. clear parts dropped). Never content. */
  notes: string[];
  /**
   * The identity of each encrypted payload opened (SHA-256 of its session key): the same
   * ciphertext sent again, however re-wrapped, has the same identity (decryption-oracle guard).
   */
  payloadIds: string[];
}

export type DecodeResult = { ok: true; decoded: Decoded } | { ok: false; reason: string };

export interface DecodeKeys {
  /** The team's secret key(s). */
  decryption: openpgp.PrivateKey[];
  /** Every public key vmtd knows, to verify signatures. */
  verification: openpgp.PublicKey[];
  /** The moment signatures and keys are judged at (now, plus the clock slack). */
  date: Date;
}

const ARMOR_MESSAGE = /-----BEGIN PGP MESSAGE-----[\s\S]*?-----END PGP MESSAGE-----/;
const ARMOR_SIGNED = /-----BEGIN PGP SIGNED MESSAGE-----[\s\S]*?-----END PGP SIGNATURE-----/;

class DecodeFailure extends Error {}

/**
 * Encrypted data up to this size is decrypted whole: OpenPGP.js then checks the integrity tag
 * before it returns anything, and skips the web-stream machinery that cost a 1.4 MB report ~15 ms
 * of CPU and ~12 MB of short-lived garbage (issue 16). A larger one is decrypted as a stream.
 */
const DECRYPT_WHOLE_MAX = 4 << 20;

async function decryptArmored(armored: Buffer, keys: DecodeKeys): Promise<{ data: Uint8Array; check: SignatureCheck; payloadIds: string[] }> {
  let message: openpgp.Message<Uint8Array | ReadableStream<Uint8Array>>;
  let size: number;
  try {
    const binary = await dearmor(armored);
    size = binary.length;
    message = await openpgp.readMessage({ binaryMessage: size <= DECRYPT_WHOLE_MAX ? binary : sliceStream(binary, true), config: readConfig });
  } catch (err) {
    throw new DecodeFailure(`broken OpenPGP armor or packets (${brief(err)})`);
  }
  const wanted = message.getEncryptionKeyIDs();
  const ours = keys.decryption.flatMap((k) => k.getKeyIDs());
  if (wanted.length > 0 && !wanted.some((id) => ours.some((o) => o.equals(id)))) {
    throw new DecodeFailure('encrypted to a key that is not the team key');
  }
  try {
    // The session keys first: their digests identify this ciphertext whatever wraps it.
    const sessionKeys = await openpgp.decryptSessionKeys({ message, decryptionKeys: keys.decryption, date: keys.date, config: readConfig });
    const payloadIds = sessionKeys.map((k) => createHash('sha256').update(`${k.algorithm ?? ''}:`).update(k.data).digest('hex'));
    const result = await openpgp.decrypt({
      message,
      // A decrypted session key of SEIPDv1 always names its algorithm (null is SEIPDv2's, which is refused anyway).
      sessionKeys: sessionKeys as openpgp.SessionKey[],
      verificationKeys: keys.verification,
      date: keys.date,
      format: 'binary',
      // A large message is streamed through: OpenPGP.js then decrypts slice by slice instead of
      // buffering the whole plaintext and copying it in one go (for a 25 MB report that held the
      // event loop 150–270 ms and kept another copy). Nothing reads the data before `collect` has
      // read it to its end, which is where OpenPGP.js reports a failed integrity check (MDC) or a
      // broken packet: then collect throws and nothing of it is used (test/intake/decrypt-stream.test.ts).
      config: { ...readConfig, allowUnauthenticatedStream: true },
    });
    const data = result.data instanceof Uint8Array ? result.data : await collect(result.data, size);
    return { data, check: await judgeSignatures(result.signatures, keys.verification, data), payloadIds };
  } catch (err) {
    throw new DecodeFailure(`cannot decrypt (${brief(err)})`);
  }
}

/** A Buffer over the same memory (no copy of a large decrypted message). */
const asBuffer = (data: Uint8Array): Buffer => Buffer.from(data.buffer, data.byteOffset, data.length);

function brief(err: unknown): string {
  // openpgp's messages name packets and algorithms, never plaintext; keep them short for the log.
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 160);
}

const isSignature = (e: Entity): boolean => e.type === 'application/pgp-signature';
const isPgpEncryptedControl = (e: Entity): boolean => e.type === 'application/pgp-encrypted';

/** RFC 3156 multipart/signed: the signature covers the exact, CRLF-canonical bytes of part one. */
async function openSigned(entity: Entity, keys: DecodeKeys): Promise<{ content: Entity; raw: Buffer; check: SignatureCheck }> {
  const boundary = entity.params.boundary!;
  const parts = childrenOf(entity);
  if (!parts || parts.length !== 2 || !isSignature(parts[1]!)) throw new DecodeFailure('malformed multipart/signed');
  const rawParts = splitMultipart(entity.body, boundary)!;
  const signed = toCrlf(rawParts[0]!);
  const check = await verifyDetached(signed, textOf(parts[1]!), keys.verification, keys.date);
  return { content: parts[0]!, raw: rawParts[0]!, check };
}

/** RFC 3156 multipart/encrypted (also Exchange's multipart/mixed mangling of it). */
function encryptedPayload(entity: Entity): Buffer | undefined {
  const parts = childrenOf(entity);
  if (!parts) return undefined;
  const control = parts.findIndex(isPgpEncryptedControl);
  if (entity.type !== 'multipart/encrypted' && control < 0) return undefined;
  for (const [i, p] of parts.entries()) {
    const armored = i === control ? undefined : findArmor(decodedBody(p));
    if (armored) return armored;
  }
  return undefined;
}


async function decodeEntity(raw: Buffer, keys: DecodeKeys, depth: number): Promise<Decoded> {
  if (depth > 4) throw new DecodeFailure('too many nested OpenPGP layers');
  const entity = parseEntity(raw);

  const armoredPayload = encryptedPayload(entity);
  if (!armoredPayload && entity.type === 'multipart/encrypted') throw new DecodeFailure('malformed multipart/encrypted: no complete OpenPGP message in it');
  if (armoredPayload) {
    const { data, check, payloadIds } = await decryptArmored(armoredPayload, keys);
    const inner = await decodeEntity(asBuffer(data), keys, depth + 1);
    // Sign-then-encrypt as one OpenPGP message (RFC 3156 6.2), or KMail's encapsulated multipart/signed.
    const signature = check.state !== 'unsigned' ? check : inner.signature;
    const notes = entity.type === 'multipart/encrypted' ? inner.notes : ['PGP/MIME restructured in transit (Exchange)', ...inner.notes];
    return { ...inner, format: 'pgp-mime', encrypted: true, signature, notes, payloadIds: [...payloadIds, ...inner.payloadIds] };
  }

  if (entity.type === 'multipart/signed' && entity.params.boundary) {
    const { raw: signedRaw, check } = await openSigned(entity, keys);
    const inner = await decodeEntity(signedRaw, keys, depth + 1);
    // A signature over an encrypted inner part cannot vouch for what it does not see: keep inner's if any.
    return { ...inner, format: inner.encrypted ? inner.format : 'pgp-mime', signature: inner.signature.state !== 'unsigned' ? inner.signature : check };
  }

  if (entity.type.startsWith('multipart/')) return decodeMixed(entity, raw, keys, depth);

  if (entity.type.startsWith('text/')) {
    const text = textOf(entity);
    const enc = ARMOR_MESSAGE.exec(text);
    if (!enc && text.includes('-----BEGIN PGP MESSAGE-----')) throw new DecodeFailure('broken OpenPGP armor (no END line)');
    if (enc) {
      const { data, check, payloadIds } = await decryptArmored(Buffer.from(enc[0], 'latin1'), keys);
      const plain = new TextDecoder().decode(data);
      const signed = ARMOR_SIGNED.exec(plain);
      if (signed && check.state === 'unsigned') {
        const v = await verifyCleartext(signed[0], keys.verification, keys.date);
        if (v) return { format: 'inline', encrypted: true, signature: v.check, content: textEntity(v.text), notes: [], payloadIds };
      }
      const notes = text.replace(enc[0], '').trim() ? ['clear text around the encrypted block was dropped'] : [];
      return { format: 'inline', encrypted: true, signature: check, content: textEntity(plain), notes, payloadIds };
    }
    const signed = ARMOR_SIGNED.exec(text);
    if (signed) {
      const v = await verifyCleartext(signed[0], keys.verification, keys.date);
      if (!v) throw new DecodeFailure('broken cleartext signature armor');
      const notes = text.replace(signed[0], '').trim() ? ['clear text outside the signed block was dropped'] : [];
      return { format: 'inline', encrypted: false, signature: v.check, content: textEntity(v.text), notes, payloadIds: [] };
    }
  }
  return { format: 'plain', encrypted: false, signature: unsigned, content: raw, notes: [], payloadIds: [] };
}

/**
 * A multipart that is not itself PGP/MIME. If any part is encrypted (inline PGP in a text part,
 * or an encrypted attachment), the result holds only the decrypted parts: clear parts are never
 * merged into decrypted content (EFAIL direct exfiltration). A signature counts only when one
 * part makes up the whole message ("Johnny, you are fired": a signed sub-part vouches for nothing else).
 */
async function decodeMixed(entity: Entity, raw: Buffer, keys: DecodeKeys, depth: number): Promise<Decoded> {
  const leaves: Buffer[] = [];
  const alternatives = new Map<Buffer, Buffer[]>();
  const walk = (buf: Buffer, d: number): void => {
    if (d > mimeLimits.maxDepth) throw new MimeLimitError(`MIME nesting deeper than ${mimeLimits.maxDepth}`);
    const e = parseEntity(buf);
    const children = e.type.startsWith('multipart/') && e.params.boundary ? splitChildren(e) : undefined;
    // One alternative is read, as a mail client shows one (decodeAlternative).
    if (children && e.type === 'multipart/alternative' && children.length > 1) alternatives.set(buf, children);
    if (children && !alternatives.has(buf)) children.forEach((c) => walk(c, d + 1));
    else leaves.push(buf);
    if (leaves.length > mimeLimits.maxParts) throw new MimeLimitError(`more than ${mimeLimits.maxParts} parts`);
  };
  walk(raw, 0);
  const decrypted: Decoded[] = [];
  let clear = 0;
  // Only text parts and files named like OpenPGP data are read for armor: a large binary attachment
  // (a proof of concept, a core dump) is never decoded to text just to look for it.
  const mayHoldArmor = (e: Entity): boolean => e.type.startsWith('text/') || e.type === 'application/pgp-encrypted' || /\.(asc|pgp|gpg)$/i.test(attachmentName(e));
  const texts = new Map<Buffer, string>();
  let signedAlternative = false;
  for (const leaf of leaves) {
    const alternative = alternatives.get(leaf);
    if (alternative) {
      const chosen = await decodeAlternative(alternative, keys, depth);
      if ('decoded' in chosen) decrypted.push(chosen.decoded);
      else if (!chosen.blank) clear++;
      if ('signed' in chosen && chosen.signed) signedAlternative = true;
      continue;
    }
    const e = parseEntity(leaf);
    const body = mayHoldArmor(e) ? (e.type.startsWith('text/') ? textOf(e) : decodedBody(e).toString('latin1')) : '';
    if (e.type.startsWith('text/')) texts.set(leaf, body);
    if (ARMOR_MESSAGE.test(body)) {
      if (e.type.startsWith('text/')) decrypted.push(await decodeEntity(leaf, keys, depth + 1));
      else if (e.type === 'application/pgp-encrypted') decrypted.push(await openEncryptedPart(e, ARMOR_MESSAGE.exec(body)![0], keys, depth));
      else {
        const { data, payloadIds } = await decryptArmored(Buffer.from(ARMOR_MESSAGE.exec(body)![0], 'latin1'), keys);
        const name = attachmentName(e).replace(/\.(pgp|gpg|asc)$/i, '') || 'attachment';
        decrypted.push({ format: 'inline', encrypted: true, signature: unsigned, notes: [], content: attachmentEntity(name, 'application/octet-stream', asBuffer(data)), payloadIds });
      }
    } else if (!e.type.startsWith('text/') || body.trim() !== '') clear++;
  }
  if (decrypted.length === 0) {
    const signed = signedAlternative || [...texts.values()].some((t) => ARMOR_SIGNED.test(t));
    const notes = signed ? ['a signed part inside an unsigned multipart: signature not counted'] : [];
    return { format: 'plain', encrypted: false, signature: unsigned, content: raw, notes, payloadIds: [] };
  }
  const notes = decrypted.flatMap((d) => d.notes);
  const payloadIds = decrypted.flatMap((d) => d.payloadIds);
  if (clear > 0) notes.push(`${clear} unencrypted part(s) dropped: only encrypted parts are relayed`);
  const signature = decrypted.length === 1 && clear === 0 ? decrypted[0]!.signature : unsigned;
  if (decrypted.length === 1) return { format: 'inline', encrypted: true, signature, content: decrypted[0]!.content, notes, payloadIds };
  const boundary = `vmtd-${Math.random().toString(36).slice(2)}`;
  const body = decrypted.map((d) => `--${boundary}\r\n${d.content.toString('latin1')}\r\n`).join('') + `--${boundary}--\r\n`;
  const content = Buffer.from(`Content-Type: multipart/mixed; boundary="${boundary}"\r\n\r\n${body}`, 'latin1');
  return { format: 'inline', encrypted: true, signature, content, notes, payloadIds };
}

/**
 * multipart/alternative: one rendition is read, as a mail client shows one. text/plain comes first
 * (webmail such as Mailvelope puts the armor there, and a text/html copy with <br>, &nbsp; and links
 * beside it), then the others in order. The first that decrypts is the message; failing that, the
 * first readable clear one. An unreadable alternative never spoils a readable one: only when none
 * is readable does the first failure stand.
 */
async function decodeAlternative(children: Buffer[], keys: DecodeKeys, depth: number): Promise<{ decoded: Decoded } | { blank: boolean; signed: boolean }> {
  const order = children.map((c) => ({ c, e: parseEntity(c) })).sort((a, b) => Number(b.e.type === 'text/plain') - Number(a.e.type === 'text/plain'));
  let clear: { blank: boolean; signed: boolean } | undefined;
  let failure: unknown;
  for (const { c, e } of order) {
    const text = e.type.startsWith('text/') ? textOf(e) : undefined;
    if (text !== undefined && !ARMOR_MESSAGE.test(text)) {
      clear ??= { blank: text.trim() === '', signed: ARMOR_SIGNED.test(text) };
      continue;
    }
    try {
      const decoded = await decodeEntity(c, keys, depth + 1);
      if (decoded.encrypted) return { decoded };
      clear ??= { blank: false, signed: false };
    } catch (err) {
      if (!(err instanceof DecodeFailure)) throw err;
      failure ??= err;
    }
  }
  if (clear) return clear;
  throw failure;
}

/**
 * An application/pgp-encrypted part that holds the armored message itself instead of RFC 3156's
 * "Version: 1" (iPGMail's layout), read as Thunderbird reads it: the encrypted message, whose
 * content is a MIME entity, the message's text, or a file (encryptedPartShape).
 */
async function openEncryptedPart(e: Entity, armor: string, keys: DecodeKeys, depth: number): Promise<Decoded> {
  const { data, check, payloadIds } = await decryptArmored(Buffer.from(armor, 'latin1'), keys);
  const name = attachmentName(e);
  const shape = encryptedPartShape(name, data);
  if (shape === 'mime') {
    const inner = await decodeEntity(asBuffer(data), keys, depth + 1);
    return { ...inner, format: 'pgp-mime', encrypted: true, signature: check.state !== 'unsigned' ? check : inner.signature, payloadIds: [...payloadIds, ...inner.payloadIds] };
  }
  if (shape === 'file') {
    return { format: 'inline', encrypted: true, signature: unsigned, notes: [], content: attachmentEntity(name.replace(/\.(pgp|gpg|asc)$/i, '') || 'attachment', 'application/octet-stream', asBuffer(data)), payloadIds };
  }
  const plain = new TextDecoder().decode(data);
  const signed = check.state === 'unsigned' ? ARMOR_SIGNED.exec(plain) : null;
  const v = signed ? await verifyCleartext(signed[0], keys.verification, keys.date) : null;
  if (v) return { format: 'inline', encrypted: true, signature: v.check, content: textEntity(v.text), notes: [], payloadIds };
  return { format: 'inline', encrypted: true, signature: check, content: textEntity(plain), notes: [], payloadIds };
}

function splitChildren(e: Entity): Buffer[] | undefined {
  return e.params.boundary ? splitMultipart(e.body, e.params.boundary) : undefined;
}

function attachmentName(e: Entity): string {
  const disp = header(e.headers, 'content-disposition') ?? '';
  const m = /filename\*?="?([^";]+)"?/i.exec(disp) ?? /name="?([^";]+)"?/i.exec(header(e.headers, 'content-type') ?? '');
  return (m?.[1] ?? '').replace(/[^A-Za-z0-9._-]/g, '_');
}


/**
 * Removes the OpenPGP layers of one inbound message: PGP/MIME (RFC 3156) encrypted, signed or
 * both (combined or encapsulated), inline PGP, Exchange-mangled PGP/MIME, or plain. Total: every
 * failure is a reason, never a throw. Requires integrity protection on encrypted data.
 */
export async function decodeMessage(raw: Buffer, keys: DecodeKeys): Promise<DecodeResult> {
  try {
    return { ok: true, decoded: await decodeEntity(raw, keys, 0) };
  } catch (err) {
    if (err instanceof DecodeFailure || err instanceof MimeLimitError) return { ok: false, reason: err.message };
    return { ok: false, reason: `undecodable message (${brief(err)})` };
  }
}
