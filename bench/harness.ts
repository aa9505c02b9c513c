// A daemon for one scenario, instrumented: when each spooled message was processed (its case row
// committed) and when each outbox row was delivered, in wall-clock ms; and a load generator child.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../src/config/load.js';
import { startDaemon, type Daemon } from '../src/daemon.js';
import { createLogger } from '../src/log.js';
import { inboundSteps } from '../src/intake/process.js';
import type { Transport } from '../src/outbound/transport.js';
import { wall, writeBenchConfig, type BenchConfigOptions, type KeyCache } from './lib.js';
import type { SenderCommand, SenderReply } from './sender.js';

export interface Harness {
  dir: string;
  daemon: Daemon;
  teamKey: string;
  /** Spool ID → when its processing committed (for a report: the case row exists). */
  processedAt: Map<number, number>;
  /** Outbox ID → when the transport finished writing it (maildir: file fsynced and renamed into new/). */
  deliveredAt: Map<number, number>;
  /** Spool ID → wall-clock ms spent in each step of processing (src/intake/process.ts inboundSteps). */
  stepMs: Map<number, Record<string, number>>;
  /** Spool ID → outbox IDs of the relays made from it (one map, brought up to date by each call). */
  relaysOf(): Map<number, number[]>;
  count(sql: string): number;
  stop(): Promise<void>;
}

export async function startHarness(keys: KeyCache, o: BenchConfigOptions): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'vmtd-bench-'));
  const file = writeBenchConfig(dir, keys, o);
  const config = parseConfig(readFileSync(file, 'utf8'), file);
  const daemon = await startDaemon(config, () => new Date(), createLogger('silent'));
  const db = daemon.ctx.db;

  // The pipeline works the spool oldest first: every ID below the oldest pending one is processed.
  const processedAt = new Map<number, number>();
  const minPending = db.prepare("SELECT MIN(id) AS m FROM spool WHERE state = 'pending'").pluck();
  const maxId = db.prepare('SELECT MAX(id) AS m FROM spool').pluck();
  let lastSeen = 0;
  const chained = daemon.pipeline.onProcessed;
  daemon.pipeline.onProcessed = () => {
    const t = wall();
    const below = (minPending.get() as number | null) ?? ((maxId.get() as number | null) ?? 0) + 1;
    for (let id = lastSeen + 1; id < below; id++) processedAt.set(id, t);
    lastSeen = Math.max(lastSeen, below - 1);
    chained();
  };

  // Where processing time goes: each inbound step's run is timed (the steps are plain objects).
  const stepMs = timeSteps();

  // OutboxWorker keeps its transport private and has no delivery hook: the bench wraps the
  // transport's deliver at runtime to time each delivery (the VERP sender names the outbox row).
  const deliveredAt = new Map<number, number>();
  const transport = (daemon.outbox as unknown as { transport?: Transport }).transport;
  if (!transport) throw new Error('bench: OutboxWorker has no `transport` property any more; the delivery timing hook needs updating');
  const deliver = transport.deliver.bind(transport);
  transport.deliver = async (envelope, raw) => {
    const r = await deliver(envelope, raw);
    // security-bounces+OUTBOXID-TOKEN@domain
    const id = Number(/\+(\d+)[-@]/.exec(envelope.from)?.[1] ?? NaN);
    if (r.ok) deliveredAt.set(id, wall());
    return r;
  };

  const relays = new Map<number, number[]>();
  let lastRelay = 0;
  const newRelays = db.prepare("SELECT o.id AS oid, m.spool_id AS sid FROM outbox o JOIN messages m ON m.id = o.source_message WHERE o.kind = 'relay' AND o.id > ? ORDER BY o.id");

  return {
    dir,
    daemon,
    stepMs,
    teamKey: daemon.ctx.team.publicKey.armor(),
    processedAt,
    deliveredAt,
    relaysOf() {
      // Incremental: a report's relay rows are committed in one transaction, so only rows after the
      // last one seen are read (the scenario polls this in the daemon's own process and thread).
      const rows = newRelays.all(lastRelay) as Array<{ oid: number; sid: number }>;
      for (const r of rows) {
        relays.set(r.sid, [...(relays.get(r.sid) ?? []), r.oid]);
        lastRelay = Math.max(lastRelay, r.oid);
      }
      return relays;
    },
    count: (sql) => db.prepare(sql).pluck().get() as number,
    async stop() {
      await daemon.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const stepTimes = new Map<number, Record<string, number>>();
let stepsWrapped = false;

/** Wraps each inbound step's run (once per process) to record its wall time per spool row. */
function timeSteps(): Map<number, Record<string, number>> {
  if (stepsWrapped) return stepTimes;
  stepsWrapped = true;
  for (const step of inboundSteps) {
    const run = step.run.bind(step);
    (step as { run: typeof step.run }).run = async (m) => {
      const t = performance.now();
      try {
        return await run(m);
      } finally {
        const times = stepTimes.get(m.row.id) ?? {};
        times[step.name] = (times[step.name] ?? 0) + performance.now() - t;
        stepTimes.set(m.row.id, times);
      }
    };
  }
  return stepTimes;
}

/** Samples the outbox depth (queued + sending) and the spool backlog (pending) once a second until `stop()`. */
export function sampleQueues(h: Harness): { depth: number[]; backlog: number[]; stop: () => void } {
  const depth: number[] = [];
  const backlog: number[] = [];
  const timer = setInterval(() => {
    depth.push(h.count("SELECT COUNT(*) FROM outbox WHERE state IN ('queued','sending')"));
    backlog.push(h.count("SELECT COUNT(*) FROM spool WHERE state = 'pending'"));
  }, 1000);
  return { depth, backlog, stop: () => clearInterval(timer) };
}

/** The load generator child process, with a typed message queue. */
export class Sender {
  private readonly child: ChildProcess;
  private readonly inbox: SenderReply[] = [];
  private waiting: ((m: SenderReply) => void) | undefined;

  constructor() {
    this.child = fork(fileURLToPath(new URL('./sender.js', import.meta.url)), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (m: SenderReply) => {
      if (this.waiting) {
        const w = this.waiting;
        this.waiting = undefined;
        w(m);
      } else this.inbox.push(m);
    });
  }

  send(m: SenderCommand): void {
    this.child.send(m);
  }

  /** The next reply, which must be of `type`. */
  async next<T extends SenderReply['type']>(type: T): Promise<Extract<SenderReply, { type: T }>> {
    const m =
      this.inbox.shift() ??
      (await new Promise<SenderReply>((resolve, reject) => {
        const exited = (code: number | null): void => reject(new Error(`sender exited (${code}) while waiting for ${type}`));
        this.waiting = (r) => {
          this.child.off('exit', exited);
          resolve(r);
        };
        this.child.once('exit', exited);
      }));
    if (m.type !== type) throw new Error(`sender: expected ${type}, got ${m.type}`);
    return m as Extract<SenderReply, { type: T }>;
  }

  /** Ends the sender process (it also ends when the scenario process does). */
  close(): void {
    this.child.disconnect();
  }

  /** Runs a load command to its end. */
  async load(c: Extract<SenderCommand, { type: 'load' }>): Promise<Extract<SenderReply, { type: 'done' }>> {
    this.send(c);
    return this.next('done');
  }
}
