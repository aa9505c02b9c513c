import { openStore } from '../store/open-store.js';
import { caseList, caseSummaries, caseView, type CaseView } from '../store/case-view.js';
import { quarantined } from '../store/spool.js';
import { eventsOf } from '../store/events.js';
import { CliError, EX } from './exit.js';
import type { CliEnv } from './env.js';

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n';
}

function human(c: CaseView): string {
  const lines = [
    `${c.id}  ${c.kind === 'incident' ? 'incident  ' : ''}${c.stateWord}${c.class ? `  class ${c.class}` : ''}${c.severity ? `  severity ${c.severity}` : ''}`,
    `kind:     ${c.kind}`,
    `title:    ${c.title}`,
    `opened:   ${c.createdAt}`,
    `embargo:  ${c.embargo ?? 'none'}`,
    `CVEs:     ${c.cves.join(', ') || 'none'}`,
    `projects: ${c.projects.map((p) => `${p.id} (${p.status})`).join(', ') || 'none'}`,
    'members:',
    ...c.members.map((m) => `  ${m.role.padEnd(15)} ${m.email}  ${m.fingerprint ?? '(no key)'}`),
  ];
  if (c.leakedAt) lines.push(`leaked:   ${c.leakedAt}`);
  if (c.embargoOverride) lines.push(`override: ${c.embargoOverride}`);
  if (c.credits.length > 0) lines.push(`credits:  ${c.credits.map((x) => `${x.name} (${x.type.toLowerCase().replace(/_/g, ' ')})`).join('; ')}`);
  if (c.revisions.length > 0) lines.push(`advisory: ${c.revisions.map((r) => `r${r.revision} ${r.state}${r.approvedBy ? ` by ${r.approvedBy}` : ''}`).join(', ')}`);
  if (c.notices.length > 0) {
    lines.push('notices:', ...c.notices.map((n) => `  ${(n.sentAt ?? n.dueAt).padEnd(24)} ${n.state.padEnd(9)} ${n.kind}${n.stakeholder ? ` to ${n.stakeholder}` : ''}${n.reason ? ` (${n.reason})` : ''}${n.embargo && n.embargo !== 'none' ? `  embargo ${n.embargo}` : ''}`));
  }
  if (c.messages) lines.push('messages:', ...c.messages.map((m) => `  ${m.receivedAt}  ${m.kind.padEnd(7)} ${m.from}  ${m.encrypted ? 'encrypted' : 'CLEAR'}  ${m.signature}`));
  if (c.events) lines.push(`events:   ${c.events.length} (vmtd case events ${c.id})`, ...c.events.slice(-5).map((e) => `  ${e.at}  ${e.actor}  ${e.kind}`));
  return lines.join('\n') + '\n';
}

export const caseHelp = `usage: vmtd case <subcommand> [--config FILE]

  list [--json]        every case: id, kind, state, embargo, members, title (then quarantined mail)
  show ID [--json]     one case: kind, state (an incident's word), class, embargo, CVEs, projects, members, credits, leak,
                       override, advisory revisions, notices, messages, the last events
  events ID [--json]   the case's history, oldest first (append-only): time, actor, kind, detail
`;

/** `vmtd case list [--json]`, `vmtd case show ID [--json]` and `vmtd case events ID [--json]`. */
export async function caseCommand(env: CliEnv): Promise<number> {
  const [sub, id] = env.args;
  const ctx = openStore(env.config);
  try {
    if (sub === 'list') {
      if (env.values.json) {
        env.out(JSON.stringify(caseList(ctx.db, ctx.sealer), null, 2) + '\n');
        return EX.OK;
      }
      const cases = caseSummaries(ctx.db, ctx.sealer);
      env.out(cases.length === 0 ? 'no cases\n' : table([['ID', 'STATE', 'KIND', 'EMBARGO', 'MEMBERS', 'TITLE'], ...cases.map((c) => [c.id, c.stateWord, c.kind, c.embargo ?? '-', String(c.members), c.title.slice(0, 50)])]));
      const q = quarantined(ctx.db);
      if (q.length > 0) env.out(`\nquarantined messages:\n${table([['SPOOL', 'RECEIVED', 'SENDER', 'REASON'], ...q.map((r) => [String(r.id), r.receivedAt, r.mailFrom || '<>', r.reason])])}`);
      return EX.OK;
    }
    if (sub === 'show' && id) {
      const c = caseView(ctx.db, ctx.sealer, id);
      if (!c) throw new CliError(`no case ${id}`, EX.NOINPUT);
      env.out(env.values.json ? JSON.stringify(c, null, 2) + '\n' : human(c));
      return EX.OK;
    }
    if (sub === 'events' && id) {
      const c = caseView(ctx.db, ctx.sealer, id.toUpperCase());
      if (!c) throw new CliError(`no case ${id}`, EX.NOINPUT);
      const events = eventsOf(ctx.db, c.id);
      if (env.values.json) env.out(JSON.stringify(events, null, 2) + '\n');
      else env.out(events.length === 0 ? `no events for ${c.id}\n` : events.map((e) => `${e.at}  ${e.actor}  ${e.kind}${Object.keys(e.detail).length ? `  ${JSON.stringify(e.detail)}` : ''}\n`).join(''));
      return EX.OK;
    }
    throw new CliError('usage: vmtd case list [--json] | vmtd case show ID [--json] | vmtd case events ID [--json]', EX.USAGE);
  } finally {
    ctx.db.close();
  }
}
