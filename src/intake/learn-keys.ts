import type * as openpgp from 'openpgp';
import type { MessageContent } from '../mail/content.js';
import { certifiedEmailsOf, readPublicKeys } from '../pgp/keys.js';

/**
 * Public keys a sender offers for their own address: attached (`application/pgp-keys`, or an
 * `.asc` holding a public key block) or in an `Autocrypt:` header. A key whose user IDs do not
 * carry the sender's address in a self-certified user ID is ignored. Such a key only ever serves
 * to encrypt to that sender: it authorizes nothing and never becomes a configured person's key.
 */
export async function offeredKeys(sender: string, content: MessageContent, autocrypt: string | null, now: Date): Promise<openpgp.PublicKey[]> {
  const found = await attachedKeys(content);
  if (autocrypt) {
    const attrs = Object.fromEntries(
      autocrypt.split(';').map((kv) => {
        const eq = kv.indexOf('=');
        return [kv.slice(0, eq).trim().toLowerCase(), kv.slice(eq + 1).trim()];
      }),
    );
    if (attrs.addr?.toLowerCase() === sender && attrs.keydata) {
      try {
        found.push(...(await readPublicKeys(new Uint8Array(Buffer.from(attrs.keydata.replace(/\s+/g, ''), 'base64')))));
      } catch {
        // Same as above: an unreadable Autocrypt header teaches nothing.
      }
    }
  }
  const mine: openpgp.PublicKey[] = [];
  for (const k of found) if ((await certifiedEmailsOf(k, now)).includes(sender)) mine.push(k);
  return mine;
}

const KEY_BLOCK = Buffer.from('-----BEGIN PGP PUBLIC KEY BLOCK-----');

/**
 * Public keys attached to a message, whatever their user IDs: `application/pgp-keys` parts
 * (armored or binary) and any attachment holding an armored public key block. Unreadable ones are
 * skipped. Other attachments are never turned into text (a large one would cost memory and time).
 */
export async function attachedKeys(content: MessageContent): Promise<openpgp.PublicKey[]> {
  const found: openpgp.PublicKey[] = [];
  for (const a of content.attachments) {
    const armored = a.content.includes(KEY_BLOCK);
    if (a.truncated || (a.contentType !== 'application/pgp-keys' && !armored)) continue;
    try {
      found.push(...(await readPublicKeys(armored ? a.content.toString('latin1') : new Uint8Array(a.content))));
    } catch {
      // A broken key attachment is not fatal to the message; it simply teaches nothing.
    }
  }
  return found;
}
