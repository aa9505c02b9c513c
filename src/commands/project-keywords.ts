import { isDay, isRepoUrl, PROJECT_ID, type RegisteredProject } from '../cases/project.js';
import { parseExpert, type KeyPick, type Outcome } from './keywords.js';

/**
 * The team keywords that manage the project registry (sent by a coordinator, signed, to the
 * intake address, no X-CASE). All lines of a message apply, or none does.
 */
export const projectTeamKeywords: readonly string[] = ['PROJECT-ADD', 'PROJECT-CONTACT', 'PROJECT-REMOVE-CONTACT', 'PROJECT-SET', 'PROJECT-REMOVE', 'LIST-PROJECTS'];

/** What the registry handlers may consult: data only, so they stay pure. */
export interface ProjectEnv {
  now: Date;
  /** Projects the configuration names: it stays authoritative for their names and configured contacts. */
  configuredIds: readonly string[];
  /** The key an X-PROJECT-CONTACT line pins (decided before the handlers run), by address. */
  keyFor: (email: string) => KeyPick;
}

type Handler = (registry: RegisteredProject[], args: string, env: ProjectEnv) => Outcome;

const ok = (note?: string): Outcome => (note ? { ok: true, note } : { ok: true });
const no = (reason: string): Outcome => ({ ok: false, reason });
const stamp = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The first word of the arguments, lower-cased, and the rest. Pure. */
export function splitId(args: string): { id: string; rest: string } {
  const m = /^(\S+)\s*(.*)$/s.exec(args.trim());
  return { id: (m?.[1] ?? '').toLowerCase(), rest: (m?.[2] ?? '').trim() };
}

function find(registry: RegisteredProject[], id: string): RegisteredProject | Outcome {
  const p = registry.find((x) => x.id === id);
  return p ?? no(`no project "${id}" (X-PROJECT-ADD: ${id || 'ID'} Name registers it)`);
}
const isProject = (x: RegisteredProject | Outcome): x is RegisteredProject => 'contacts' in x;

/** `X-PROJECT-SET: ID field value`: the fields a registry entry has besides its contacts. */
function setField(p: RegisteredProject, field: string, value: string, env: ProjectEnv): Outcome {
  const none = value.toLowerCase() === 'none';
  switch (field) {
    case 'name':
      if (env.configuredIds.includes(p.id)) return no(`${p.id} is named in the configuration: change its name there`);
      if (!value) return no('X-PROJECT-SET: ID name needs a name');
      p.name = value.slice(0, 200);
      return ok(`${p.id} is now called ${p.name}`);
    case 'agreed':
      if (!none && !isDay(value)) return no(`"${value}" is not a day (YYYY-MM-DD, or none)`);
      p.policyAgreedAt = none ? null : value;
      return ok(none ? 'policy agreement cleared' : `agreed to the disclosure policy on ${value}`);
    case 'repo':
      if (!none && !isRepoUrl(value)) return no(`"${value}" is not an http(s) URL (or none)`);
      p.fixesUrl = none ? null : value;
      return ok();
    case 'active': {
      const v = value.toLowerCase();
      if (!['yes', 'no', 'true', 'false'].includes(v)) return no('active takes yes or no');
      p.active = v === 'yes' || v === 'true';
      return ok(p.active ? `${p.id} is active` : `${p.id} is inactive: new reports for it reach the coordinators only`);
    }
    default:
      return no(`unknown field "${field}"; use name, agreed, repo or active`);
  }
}

/** The handlers of the registry keywords. Each changes the draft registry it is given (a copy) or refuses. */
export const projectHandlers: Record<string, Handler> = {
  'PROJECT-ADD': (registry, args, env) => {
    const { id, rest } = splitId(args);
    if (!PROJECT_ID.test(id)) return no(`"${id}" is not a project ID (lower-case letters, digits, '.', '_', '-'; a letter or digit first)`);
    if (registry.some((x) => x.id === id)) return no(`project ${id} exists`);
    const at = stamp(env.now);
    registry.push({ id, name: rest.slice(0, 200) || id, policyAgreedAt: null, active: true, fixesUrl: null, source: 'mail', createdAt: at, updatedAt: at, contacts: [] });
    return ok(`${id} registered; add its contacts with X-PROJECT-CONTACT: ${id} ADDRESS FINGERPRINT`);
  },
  'PROJECT-CONTACT': (registry, args, env) => {
    const { id, rest } = splitId(args);
    const p = find(registry, id);
    if (!isProject(p)) return p;
    const { email, name } = parseExpert(rest);
    if (!email) return no(`"${rest}" is not an address`);
    const pick = env.keyFor(email);
    if (!pick.ok) return no(pick.reason);
    const c = { email, name, fingerprint: pick.fingerprint, source: 'mail', addedAt: stamp(env.now) };
    const i = p.contacts.findIndex((x) => x.email === email);
    if (i >= 0 && p.contacts[i]!.source === 'config') return no(`${email} is a configured contact of ${id}: change it in the configuration`);
    if (i >= 0) p.contacts[i] = c;
    else p.contacts.push(c);
    return ok(`${email} is a contact of ${id}, pinned to key ${pick.fingerprint}${pick.note ? ` (${pick.note})` : ''}`);
  },
  'PROJECT-REMOVE-CONTACT': (registry, args) => {
    const { id, rest } = splitId(args);
    const p = find(registry, id);
    if (!isProject(p)) return p;
    const email = rest.replace(/^.*<|>.*$/g, '').trim().toLowerCase();
    const c = p.contacts.find((x) => x.email === email);
    if (!c) return no(`${email || '(no address)'} is not a contact of ${id}`);
    if (c.source === 'config') return no(`${email} is a configured contact of ${id}: remove it in the configuration`);
    p.contacts = p.contacts.filter((x) => x !== c);
    return ok(`${email} removed from ${id} (cases it is a member of keep it)`);
  },
  'PROJECT-SET': (registry, args, env) => {
    const { id, rest } = splitId(args);
    const p = find(registry, id);
    if (!isProject(p)) return p;
    const m = /^(\S+)\s*(.*)$/s.exec(rest);
    return setField(p, (m?.[1] ?? '').toLowerCase(), (m?.[2] ?? '').trim(), env);
  },
  'PROJECT-REMOVE': (registry, args, env) => {
    const { id } = splitId(args);
    const i = registry.findIndex((x) => x.id === id);
    if (i < 0) return no(`no project "${id}"`);
    if (env.configuredIds.includes(id)) return no(`${id} is named in the configuration: remove it there, or X-PROJECT-SET: ${id} active no`);
    registry.splice(i, 1);
    return ok(`${id} removed (its cases keep their history)`);
  },
  'LIST-PROJECTS': (registry) =>
    ok(registry.length === 0 ? 'no projects registered' : `\n${registry.map((p) => `    ${p.id}  ${p.active ? 'active' : 'inactive'}  ${p.contacts.map((c) => c.email).join(', ') || 'no contacts'}  ${p.name}`).join('\n')}`),
};

/** The outcome of one registry line. */
export interface ProjectLineResult {
  line: string;
  ok: boolean;
  note?: string;
}

/**
 * Applies registry keyword lines to a copy of the registry, in order; the copy is the result only
 * when every line succeeded (all or none). Pure.
 */
export function applyProjectLines(before: readonly RegisteredProject[], lines: ReadonlyArray<{ keyword: string; args: string; line: string }>, env: ProjectEnv): { after: RegisteredProject[] | null; results: ProjectLineResult[] } {
  const draft = structuredClone(before) as RegisteredProject[];
  const results = lines.map((l): ProjectLineResult => {
    const h = projectHandlers[l.keyword];
    if (!h) return { line: l.line, ok: false, note: `X-${l.keyword} cannot be combined with registry commands: send it in a message of its own` };
    const r = h(draft, l.args, env);
    return r.ok ? { line: l.line, ok: true, ...(r.note ? { note: r.note } : {}) } : { line: l.line, ok: false, note: r.reason };
  });
  return { after: results.every((r) => r.ok) ? draft : null, results };
}
