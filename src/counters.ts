// The process's counters and progress marks: a leaf module (no vmtd imports) that the stages
// increment where an event happens. The HTTP side (metrics.ts) reads them with the scrape-time
// gauges. Counters start from 0 with the process (Prometheus convention: rate() and increase()
// handle the reset); nothing here is ever decremented, so a bounce after a delivery leaves the
// delivered count as it was.
import { collectDefaultMetrics, Counter, Registry } from 'prom-client';

/** The registry of the process-wide series: vmtd's counters and prom-client's process metrics. */
export const processRegistry = new Registry();

// Process metrics (CPU, memory, heap, file descriptors, GC) and the event-loop lag (histogram
// percentiles from perf_hooks.monitorEventLoopDelay), sampled at scrape time.
collectDefaultMetrics({ register: processRegistry, eventLoopMonitoringPrecision: 20 });

const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]): Counter<L> =>
  new Counter<L>({ name, help, labelNames, registers: [processRegistry] });

/** Every counter vmtd keeps; each only goes up. */
export const counters = {
  /** Messages committed to the spool by this process, by how they came (smtp, imap). */
  received: counter('vmtd_messages_received_total', 'Messages committed to the spool (acknowledged), by how they came', ['via']),
  /** Spooled messages processed, by outcome (report, case-message, command, refused, bounce, junk, duplicate, automatic, quarantined). */
  processed: counter('vmtd_messages_processed_total', 'Spooled messages processed, by outcome', ['outcome']),
  /** Inbound messages relayed to a case's members (a new report or a message to a case). */
  relayed: counter('vmtd_messages_relayed_total', 'Inbound messages relayed to case members (reports and case messages)', []),
  /** Messages put into quarantine (undecodable, replayed, rate-limited, or failing processing three times). */
  quarantined: counter('vmtd_messages_quarantined_total', 'Messages put into quarantine', []),
  /** Outgoing mails the transport accepted, by kind (ack, relay, notice, answer, advisory, digest, alert). */
  delivered: counter('vmtd_outbox_delivered_total', 'Outgoing mails accepted by the transport, by kind', ['kind']),
  /** Delivery attempts that failed temporarily and will be retried, by kind. */
  deferred: counter('vmtd_outbox_deferred_total', 'Delivery attempts deferred for a retry, by kind', ['kind']),
  /** Outgoing mails given up (5xx, retry horizon passed, a persistent local fault), by kind. */
  failed: counter('vmtd_outbox_failed_total', 'Outgoing mails given up, by kind', ['kind']),
  /** Authenticated command messages, by outcome (applied, refused, failed). */
  commands: counter('vmtd_commands_total', 'Authenticated command messages, by outcome', ['outcome']),
  /**
   * Work the crypto pool's worker threads could not do (a worker that cannot start or died, a
   * closed pool), done on the event loop's thread instead, by work (seal, decode). Anything but 0
   * means the daemon runs slower than it should.
   */
  cryptoPoolFallbacks: counter('vmtd_crypto_pool_fallbacks_total', "Work the crypto pool's worker threads could not do, done on the event loop's thread instead, by work (seal, decode)", ['work']),
  /** SMTP commands refused by the intake, by reply code (421, 451, 452, 550, 552). */
  smtpRejects: counter('vmtd_smtp_rejects_total', 'SMTP refusals by the intake, by reply code', ['code']),
};
