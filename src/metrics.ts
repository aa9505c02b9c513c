import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Vmtd } from './context.js';
import type { Db } from './store/db.js';

/** The metrics in Prometheus text format, computed from the database (counts, no content). Pure over the DB. */
export function metricsText(db: Db, now: Date): string {
  const rows = <T>(sql: string): T[] => db.prepare(sql).all() as T[];
  const lines: string[] = [];
  const family = (name: string, help: string, type: 'gauge' | 'counter', samples: Array<[Record<string, string>, number]>): void => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, v] of samples) {
      const l = Object.entries(labels).map(([k, x]) => `${k}="${x.replace(/["\\\n]/g, '_')}"`).join(',');
      lines.push(`${name}${l ? `{${l}}` : ''} ${v}`);
    }
  };
  family('vmtd_messages_received_total', 'Inbound messages by processing state', 'counter', rows<{ state: string; n: number }>('SELECT state, COUNT(*) AS n FROM spool GROUP BY state').map((r) => [{ state: r.state }, r.n]));
  family('vmtd_outgoing_total', 'Outgoing mail by kind and state', 'counter', rows<{ kind: string; state: string; n: number }>('SELECT kind, state, COUNT(*) AS n FROM outbox GROUP BY kind, state').map((r) => [{ kind: r.kind, state: r.state }, r.n]));
  const q = db.prepare("SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM outbox WHERE state IN ('queued','sending')").get() as { n: number; oldest: string | null };
  family('vmtd_outbox_depth', 'Mail waiting for delivery', 'gauge', [[{}, q.n]]);
  family('vmtd_outbox_oldest_age_seconds', 'Age of the oldest mail waiting for delivery', 'gauge', [[{}, q.oldest ? Math.max(0, Math.round((now.getTime() - Date.parse(q.oldest)) / 1000)) : 0]]);
  family('vmtd_cases', 'Cases by state', 'gauge', rows<{ state: string; n: number }>('SELECT state, COUNT(*) AS n FROM cases GROUP BY state').map((r) => [{ state: r.state }, r.n]));
  return lines.join('\n') + '\n';
}

/** Serves GET /metrics on metrics.host:port (loopback by default). */
export async function startMetrics(ctx: Vmtd): Promise<{ port: number; stop(): Promise<void> }> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(metricsText(ctx.db, ctx.clock()));
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(ctx.config.metrics.port, ctx.config.metrics.host, () => {
      server.off('error', fail);
      ok();
    });
  });
  server.on('error', (err) => ctx.log.error({ err: err.message }, 'metrics server error'));
  return {
    port: (server.address() as AddressInfo).port,
    stop: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}
