import { iso } from '../clock.js';
import { openVmtd } from '../context.js';
import { createLogger } from '../log.js';
import { readInput } from './env.js';
import { CliError, EX } from './exit.js';
import type { CliEnv } from './env.js';

/** `vmtd keys team|list|import FILE…`. */
export async function keysCommand(env: CliEnv): Promise<number> {
  const [sub, ...files] = env.args;
  const ctx = await openVmtd(env.config, env.clock, createLogger('warn'));
  try {
    if (sub === 'team') {
      env.out(ctx.team.publicKey.armor());
      return EX.OK;
    }
    if (sub === 'list') {
      for (const k of await ctx.keyring.describeAll(env.clock())) {
        const state = k.encryptionProblem ?? (k.expiresAt ? `expires ${iso(k.expiresAt)}` : 'usable');
        env.out(`${k.fingerprint}  ${k.source.padEnd(6)}  ${k.emails.join(', ')}  (${state})\n`);
      }
      return EX.OK;
    }
    if (sub === 'import' && files.length > 0) {
      for (const f of files) {
        const data = readInput(f);
        const text = data.toString('latin1');
        let keys;
        try {
          keys = await ctx.keyring.import(/-----BEGIN PGP/.test(text) ? text : new Uint8Array(data), 'import', iso(env.clock()));
        } catch (err) {
          throw new CliError(`${f}: no readable OpenPGP public key (${(err as Error).message.split('\n')[0]})`, EX.DATAERR);
        }
        for (const k of keys) env.out(`imported ${k.getFingerprint().toUpperCase()} ${k.users.map((u) => u.userID?.email).filter(Boolean).join(', ')}\n`);
      }
      return EX.OK;
    }
    throw new CliError('usage: vmtd keys team | vmtd keys list | vmtd keys import FILE…', EX.USAGE);
  } finally {
    ctx.db.close();
  }
}
