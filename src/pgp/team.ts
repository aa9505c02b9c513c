import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as openpgp from 'openpgp';
import { fingerprintOf, generateTeamKey } from './keys.js';

export interface TeamKey {
  privateKey: openpgp.PrivateKey;
  publicKey: openpgp.PublicKey;
  fingerprint: string;
}

/**
 * Loads the team's secret key from `file`, generating it (mode 0600) on first use. The file is
 * created exclusively, so two processes starting at once cannot both write one.
 */
export async function loadOrCreateTeamKey(file: string, name: string, email: string, now: Date): Promise<TeamKey & { created: boolean }> {
  let created = false;
  if (!existsSync(file)) {
    const armored = await generateTeamKey(name, email, now);
    try {
      writeFileSync(file, armored, { mode: 0o600, flag: 'wx' });
      created = true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  const privateKey = await openpgp.readPrivateKey({ armoredKey: readFileSync(file, 'utf8') });
  if (!privateKey.isDecrypted()) throw new Error(`team key ${file} is passphrase-protected; vmtd needs it unlocked (protect the file instead)`);
  return { privateKey, publicKey: privateKey.toPublic(), fingerprint: fingerprintOf(privateKey), created };
}
