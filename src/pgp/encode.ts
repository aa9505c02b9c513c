import { setImmediate } from 'node:timers/promises';
import * as openpgp from 'openpgp';
import { crc24, crc24Concat, crc24Line } from './crc24.js';
import { gpgCompatible } from './keys.js';

/** Data signed once by the team key, ready to be encrypted to any number of recipients. */
export interface SignedPayload {
  packets: openpgp.PacketList<openpgp.AnyPacket>;
}

/**
 * Signs bytes once with the team key as a one-pass signed message (one-pass signature, literal
 * data, signature). Encrypting it per recipient gives RFC 3156's combined sign-and-encrypt,
 * which GnuPG decrypts and verifies in one step. (openpgp's readMessage links trailing signatures
 * lazily and would drop them on re-encryption, so the packet list is assembled here.)
 */
export async function signOnce(data: Uint8Array, signingKey: openpgp.PrivateKey, date: Date): Promise<SignedPayload> {
  const message = await openpgp.createMessage({ binary: data, format: 'binary' });
  const detached = await openpgp.sign({ message, signingKeys: signingKey, date, detached: true, format: 'binary', config: gpgCompatible });
  const signature = (await openpgp.readSignature({ binarySignature: detached })).packets[0]!;
  // openpgp's .d.ts omits these runtime APIs (LiteralDataPacket(date), setBytes, fromSignaturePacket).
  const Literal = openpgp.LiteralDataPacket as unknown as new (date: Date) => { setBytes(b: Uint8Array, f: string): void };
  const OnePass = openpgp.OnePassSignaturePacket as unknown as { fromSignaturePacket(s: openpgp.SignaturePacket, last: boolean): openpgp.OnePassSignaturePacket };
  const literal = new Literal(date);
  literal.setBytes(data, 'binary');
  const packets = new openpgp.PacketList<openpgp.AnyPacket>();
  packets.push(OnePass.fromSignaturePacket(signature, true), literal as unknown as openpgp.LiteralDataPacket, signature);
  return { packets };
}

/** Encrypts a payload signed by signOnce to one recipient key, armored (with the CRC-24 line, see armorBlock). */
export async function encryptSigned(signed: SignedPayload, recipient: openpgp.PublicKey, date: Date): Promise<string> {
  const binary = await openpgp.encrypt({ message: new openpgp.Message(signed.packets), encryptionKeys: recipient, date, format: 'binary', config: gpgCompatible });
  return armorBlock('MESSAGE', binary);
}

/**
 * A signed payload encrypted once under a fresh session key: the symmetrically encrypted,
 * integrity-protected data packet, shared by every recipient's copy.
 */
export interface SharedCiphertext {
  sessionKey: openpgp.SessionKey;
  encryptedData: Uint8Array;
}

/** Encrypts a signed payload once (SEIPDv1, as GnuPG 2.2 reads it) for many recipients. */
export async function encryptOnce(signed: SignedPayload, teamKey: openpgp.PublicKey, date: Date): Promise<SharedCiphertext> {
  const sessionKey = await openpgp.generateSessionKey({ encryptionKeys: teamKey, date, config: gpgCompatible });
  const message = await openpgp.encrypt({ message: new openpgp.Message(signed.packets), encryptionKeys: teamKey, sessionKey, date, format: 'object', config: gpgCompatible });
  const data = message.packets.filter((p) => !(p instanceof openpgp.PublicKeyEncryptedSessionKeyPacket));
  const list = new openpgp.PacketList<openpgp.AnyPacket>();
  list.push(...data);
  return { sessionKey, encryptedData: list.write() };
}

/**
 * One recipient's part of a copy: their public-key encrypted session key. With the shared
 * encrypted data it makes their message (armorCopy); it names only that recipient's key.
 */
export async function keyPacketFor(shared: SharedCiphertext, recipient: openpgp.PublicKey, date: Date): Promise<Uint8Array> {
  return openpgp.encryptSessionKey({ ...shared.sessionKey, encryptionKeys: recipient, date, format: 'binary', config: gpgCompatible });
}

/** Blocks of whole 48-byte lines (64 base64 characters each), so each block armors on its own. */
const ARMOR_BLOCK = 48 * 16_384;

/**
 * The armor of shared encrypted data from an offset on, per data buffer (the outbox reads a relay's
 * payload once for all its copies) and per offset and line end: made once, shared by every copy
 * whose key packet leaves the same offset (all keys of one kind). With it the CRC-24 of that part,
 * started from 0, which crc24Concat joins to each copy's own.
 */
const sharedArmor = new WeakMap<Uint8Array, Map<string, Promise<{ pieces: Buffer[]; crc0: number; length: number }>>>();

function armoredFrom(data: Uint8Array, from: number, eol: string): Promise<{ pieces: Buffer[]; crc0: number; length: number }> {
  let byData = sharedArmor.get(data);
  if (!byData) sharedArmor.set(data, (byData = new Map()));
  const key = `${from}:${eol}`;
  let made = byData.get(key);
  if (!made) {
    made = (async () => {
      const pieces: Buffer[] = [];
      let crc0 = 0;
      for (let at = from; at < data.length; at += ARMOR_BLOCK) {
        await setImmediate();
        const bytes = data.subarray(at, at + ARMOR_BLOCK);
        crc0 = crc24(bytes, crc0);
        pieces.push(armorLines(bytes, eol));
      }
      return { pieces, crc0, length: Math.max(0, data.length - from) };
    })();
    byData.set(key, made);
    made.catch(() => byData.delete(key));
  }
  return made;
}

/**
 * A recipient's armored message (lines end with `eol`): their key packet, then the shared encrypted
 * data, as pieces of about 1 MiB. Armoring yields to the event loop between pieces, so a copy of a
 * 25 MB report never stalls other connections, and no piece is a copy of the whole message. Only
 * the key packet and the few data bytes that complete its last line are this copy's own: the rest
 * is armored once per payload and shared by all copies (armoredFrom), its CRC-24 joined to this
 * copy's by crc24Concat. The next-to-last piece is the checksum line (see crc24.ts for why it is
 * always written), and the last piece is exactly the END line and `eol` (materialize relies on that).
 */
export async function armorCopy(keyPacket: Uint8Array, encryptedData: Uint8Array, eol = '\n'): Promise<Buffer[]> {
  const pieces: Buffer[] = [Buffer.from(`-----BEGIN PGP MESSAGE-----${eol}${eol}`)];
  const head = Math.min(encryptedData.length, (48 - (keyPacket.length % 48)) % 48);
  const first = encryptedData.subarray(0, head);
  const own = crc24(first, crc24(keyPacket));
  pieces.push(armorLines(Buffer.concat([keyPacket, first]), eol));
  const rest = await armoredFrom(encryptedData, head, eol);
  pieces.push(...rest.pieces);
  pieces.push(Buffer.from(`${crc24Line(crc24Concat(own, rest.crc0, rest.length))}${eol}`));
  pieces.push(Buffer.from(`-----END PGP MESSAGE-----${eol}`));
  return pieces;
}

/**
 * The ASCII armor of `bytes` (RFC 4880 6.2) as vmtd writes every armored block it sends: no
 * headers, lines of 64 characters ending with `eol`, and always the CRC-24 line before the END
 * line. OpenPGP.js 6.3 writes that line too for the v4 packets vmtd makes, but only by its own
 * rules (RFC 9580 forbids it for v6 and SEIPDv2 data); armoring here keeps it independent of them.
 */
export function armorBlock(label: 'MESSAGE' | 'SIGNATURE', bytes: Uint8Array, eol = '\n'): string {
  return `-----BEGIN PGP ${label}-----${eol}${eol}${armorLines(bytes, eol).toString('latin1')}${crc24Line(crc24(bytes))}${eol}-----END PGP ${label}-----${eol}`;
}

/** Base64 of `bytes` in lines of 64 characters, each followed by `eol` (RFC 4880 6.2; the CRC-24 line is the caller's). */
function armorLines(bytes: Uint8Array, eol: string): Buffer {
  const b64 = Buffer.from(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64'), 'latin1');
  const nl = Buffer.from(eol);
  const lines = Math.ceil(b64.length / 64);
  const out = Buffer.allocUnsafe(b64.length + lines * nl.length);
  // A plain byte loop: about 7 times faster here than a Buffer.copy call per 64-byte line (each
  // relayed copy of a 1 MB report is armored at delivery, once per member).
  const length = b64.length;
  let o = 0;
  for (let i = 0; i < length; ) {
    const end = Math.min(i + 64, length);
    while (i < end) out[o++] = b64[i++]!;
    for (let k = 0; k < nl.length; k++) out[o++] = nl[k]!;
  }
  return out;
}

const SIGNATURE_BEGIN = '\n-----BEGIN PGP SIGNATURE-----\n';

/**
 * A clear-signed text (`-----BEGIN PGP SIGNED MESSAGE-----`), verifiable by `gpg --verify`. The
 * text part is OpenPGP.js's (dash-escaping, `Hash:` header); its signature block is re-armored by
 * armorBlock, so it carries the CRC-24 line like every other armored block vmtd sends.
 */
export async function clearsign(text: string, signingKey: openpgp.PrivateKey, date: Date): Promise<string> {
  const message = await openpgp.createCleartextMessage({ text });
  const armored = await openpgp.sign({ message, signingKeys: signingKey, date, config: gpgCompatible });
  // The signed text is dash-escaped, so only the signature block starts a line with this; the last one all the same.
  const at = armored.lastIndexOf(SIGNATURE_BEGIN);
  if (at < 0) throw new Error('OpenPGP.js made a clear-signed text without a signature block');
  const signature = await openpgp.readSignature({ armoredSignature: armored.slice(at + 1), config: gpgCompatible });
  return `${armored.slice(0, at + 1)}${armorBlock('SIGNATURE', signature.write() as Uint8Array)}`;
}

