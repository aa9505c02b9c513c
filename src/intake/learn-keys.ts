import type * as openpgp from 'openpgp';
import type { ParsedMail } from 'mailparser';
import { emailsOf, readPublicKeys } from '../pgp/keys.js';

/**
 * Public keys a sender offers for their own address: attached (`application/pgp-keys`, or an
 * `.asc` holding a public key block) or in an `Autocrypt:` header. A key whose user IDs do not
 * carry the sender's address is ignored (no substituting another person's user ID).
 */
export async function offeredKeys(sender: string, content: ParsedMail, autocrypt: string | null): Promise<openpgp.PublicKey[]> {
  const found: openpgp.PublicKey[] = [];
  for (const a of content.attachments) {
    const text = a.content.toString('latin1');
    const isKey = a.contentType === 'application/pgp-keys' || /-----BEGIN PGP PUBLIC KEY BLOCK-----/.test(text);
    if (!isKey) continue;
    try {
      found.push(...(await readPublicKeys(/-----BEGIN PGP PUBLIC KEY BLOCK-----/.test(text) ? text : new Uint8Array(a.content))));
    } catch {
      // A broken key attachment is not fatal to the report; it simply teaches nothing.
    }
  }
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
  return found.filter((k) => emailsOf(k).includes(sender));
}
