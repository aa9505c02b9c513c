import * as openpgp from 'openpgp';
import { gpgCompatible } from './keys.js';

/**
 * Signs bytes once with the team key, as a complete OpenPGP signed message (one-pass signature,
 * literal data, signature). Encrypting this per recipient gives RFC 3156's combined
 * sign-and-encrypt, which GnuPG decrypts and verifies in one step.
 */
export async function signOnce(data: Uint8Array, signingKey: openpgp.PrivateKey, date: Date): Promise<Uint8Array> {
  const message = await openpgp.createMessage({ binary: data, format: 'binary' });
  return openpgp.sign({ message, signingKeys: signingKey, date, format: 'binary', config: gpgCompatible });
}

/** Encrypts an already signed message to one recipient key, armored. */
export async function encryptSigned(signed: Uint8Array, recipient: openpgp.PublicKey, date: Date): Promise<string> {
  const message = await openpgp.readMessage({ binaryMessage: signed });
  return openpgp.encrypt({ message, encryptionKeys: recipient, date, format: 'armored', config: gpgCompatible });
}

/** A clear-signed text (`-----BEGIN PGP SIGNED MESSAGE-----`), verifiable by `gpg --verify`. */
export async function clearsign(text: string, signingKey: openpgp.PrivateKey, date: Date): Promise<string> {
  const message = await openpgp.createCleartextMessage({ text });
  return openpgp.sign({ message, signingKeys: signingKey, date, config: gpgCompatible });
}

/** Encrypts bytes to the data owner's key for storage or transport (no signature). */
export async function encryptTo(data: Uint8Array, keys: openpgp.PublicKey[], date: Date): Promise<string> {
  const message = await openpgp.createMessage({ binary: data, format: 'binary' });
  return openpgp.encrypt({ message, encryptionKeys: keys, date, format: 'armored', config: gpgCompatible });
}
