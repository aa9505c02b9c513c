import { iso } from '../clock.js';
import { outboxList, outboxStates, retryOutbox, type OutboxListing, type OutboxState } from '../store/outbox-admin.js';
import { actor, table } from './console.js';
import { CliError, EX } from './exit.js';
import { openExistingDb, type CliEnv } from './env.js';

export const outboxHelp = `usage: vmtd outbox <subcommand> [--config FILE]

The outgoing mail: every message vmtd composed (encrypted per recipient), until delivered.

  list [--state failed|queued|sending|sent] [--json]
                 deliveries, oldest first: id, case, kind, recipient, state, attempts, last
                 error, created, next attempt (sent: when); never content
  retry ID       a failed or queued delivery is due now (attempts kept); the running daemon
                 sends it within seconds (or the next vmtd serve / tick); recorded as an event
`;

const columns = ['ID', 'CASE', 'KIND', 'RCPT', 'STATE', 'ATTEMPTS', 'CREATED', 'NEXT', 'LAST ERROR'];
const row = (o: OutboxListing): string[] => [
  String(o.id),
  o.caseId ?? '-',
  o.kind,
  o.rcpt,
  o.state,
  String(o.attempts),
  o.createdAt,
  o.state === 'sent' ? `sent ${o.sentAt ?? ''}`.trim() : o.state === 'failed' ? '-' : o.nextAttemptAt,
  (o.lastError ?? '-').replace(/\s+/g, ' '),
];

/** `vmtd outbox list|retry`: works on the database alone (no keys), while the daemon runs. */
export async function outboxCommand(env: CliEnv): Promise<number> {
  const [sub, arg] = env.args;
  if (!sub || !['list', 'retry'].includes(sub)) throw new CliError('usage: vmtd outbox list [--state S] [--json] | retry ID (vmtd outbox --help)', EX.USAGE);
  const state = env.values.state as string | undefined;
  if (state !== undefined && !(outboxStates as readonly string[]).includes(state)) throw new CliError(`--state: one of ${outboxStates.join(', ')}, not "${state}"`, EX.USAGE);
  const db = openExistingDb(env, 'nothing was ever sent from here');
  try {
    if (sub === 'list') {
      const rows = outboxList(db, state as OutboxState | undefined);
      if (env.values.json) env.out(JSON.stringify(rows, null, 2) + '\n');
      else env.out(rows.length === 0 ? `no ${state ?? ''} deliveries\n`.replace('  ', ' ') : table([columns, ...rows.map(row)]));
      return EX.OK;
    }
    if (!arg || !/^\d+$/.test(arg)) throw new CliError('usage: vmtd outbox retry ID', EX.USAGE);
    const id = Number(arg);
    const before = retryOutbox(db, id, actor(), iso(env.clock()));
    if (before === undefined) throw new CliError(`no outbox row ${id}`, EX.NOINPUT);
    if (before !== 'failed' && before !== 'queued') throw new CliError(`outbox ${id} is ${before}, not failed or queued: nothing to retry`, EX.DATAERR);
    env.out(`outbox ${id} (${before}) is due now; the running daemon sends it within seconds (or the next vmtd serve / tick)\n`);
    return EX.OK;
  } finally {
    db.close();
  }
}
