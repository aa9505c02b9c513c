import { iso } from '../clock.js';
import { openStore } from '../store/open-store.js';
import { dataFiles } from '../store/layout.js';
import { intakeAddress, parseRecipient } from '../mail/addresses.js';
import { spoolSealed } from '../store/spool.js';
import { sealForSpool } from '../store/spool-receiver.js';
import { readInput } from './env.js';
import { CliError, EX } from './exit.js';
import type { CliEnv } from './env.js';

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * `vmtd ingest [FILE]`: commits one message to the spool as an MTA pipe transport would, and exits
 * 0 only once it is durable. The running daemon processes it (it polls the spool); `vmtd tick`
 * processes it too. Exit codes: 67 unknown recipient, 66 no input, 73 message too large, 75 retry later.
 */
export async function ingest(env: CliEnv): Promise<number> {
  const raw = env.args[0] ? readInput(env.args[0]) : await readStdin();
  if (raw.length === 0) throw new CliError('empty message', EX.DATAERR);
  if (raw.length > env.config.smtp.maxMessageBytes) throw new CliError(`message exceeds the maximum size of ${env.config.smtp.maxMessageBytes} bytes`, EX.CANTCREAT);
  const recipients = (env.values.recipient as string[] | undefined) ?? [intakeAddress(env.config.instance)];
  for (const r of recipients) if (!parseRecipient(env.config.instance, r)) throw new CliError(`${r}: no such recipient here`, 67);
  // A data directory or database that cannot be opened now (permissions after a restore, a full
  // disk, a lock) is a reason to retry, not to return the mail: 75, as when the write fails.
  let ctx;
  try {
    ctx = openStore(env.config);
  } catch (err) {
    throw new CliError(`cannot open the spool: ${(err as { code?: string }).code ?? (err as Error).message}`, EX.TEMPFAIL);
  }
  try {
    const sealed = await sealForSpool(ctx.sealer, dataFiles(env.config.instance.dataDir).spool, raw);
    const id = spoolSealed(ctx.db, sealed, raw.length, { mailFrom: (env.values.sender as string | undefined) ?? '', rcptTo: recipients, via: 'ingest' }, iso(env.clock()));
    env.out(`queued as ${id}\n`);
    return EX.OK;
  } catch (err) {
    throw new CliError(`cannot spool the message: ${(err as { code?: string }).code ?? (err as Error).message}`, EX.TEMPFAIL);
  } finally {
    ctx.db.close();
  }
}
