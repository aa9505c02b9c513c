import type { Config } from '../config/types.js';
import { noticeDue, noticeWindowText } from '../scheduler/planner.js';
import type { CaseRecord } from '../cases/record.js';
import { isOpen, keywordTransition, transition } from '../cases/lifecycle.js';
import type { MemberRole } from '../cases/members.js';
import type { RegisteredProject } from '../cases/project.js';
import { stateOfWord, stateWord, stateWords } from '../cases/kind.js';
import { setKind } from './incident.js';
import { embargoProblem, formatUtc, parseEmbargo } from './embargo.js';
import { parseAdvisory } from '../advisories/index.js';

/** Who is acting, as far as a keyword needs to know. */
export interface Actor {
  email: string;
  role: MemberRole;
  projectId: string | null;
}

/** What keyword handlers may consult. Everything here is data: handlers stay pure. */
export interface KeywordEnv {
  now: Date;
  config: Config;
  actor: Actor;
  /** The key an expert is added with (attached, named by fingerprint, or imported/configured), or why none may be. */
  keyFor: (email: string) => KeyPick;
  /** The configured fingerprint of a project contact (null when their key is missing). */
  configuredKey: (email: string) => string | null;
  caseExists: (id: string) => boolean;
  /** The project registry now, each contact's fingerprint as identity/projects.ts resolves it. */
  projects: RegisteredProject[];
  /** The YAML attached to the message, if any (for X-ADVISORY), and its patches (*.patch, *.diff). */
  advisoryYaml: string | null;
  patches: Array<{ name: string; content: Buffer }>;
  /** Validation errors of an advisory YAML (empty when valid). */
  validateAdvisory: (yaml: string) => string[];
  /** The message also carries X-EMBARGO-OVERRIDE. */
  overridden: boolean;
}

export type Outcome = { ok: true; note?: string } | { ok: false; reason: string };

/** The key an X-ADD-EXPERT line may pin, decided before the handlers run (they stay pure). */
export type KeyPick = { ok: true; fingerprint: string; note?: string } | { ok: false; reason: string };

/**
 * Reads `X-ADD-EXPERT: [Name] <address> [FINGERPRINT]` (or `address FINGERPRINT`): the address,
 * the display name, and the fingerprint the coordinator names, if any (spaces inside it allowed). Pure.
 */
export function parseExpert(args: string): { email: string | null; name: string | null; fingerprint: string | null } {
  const t = args.trim();
  const fp = /(?:^|\s)((?:[0-9A-Fa-f]{4}\s?){9}[0-9A-Fa-f]{4}|[0-9A-Fa-f]{40})\s*$/.exec(t);
  const rest = fp ? t.slice(0, fp.index).trim() : t;
  const m = /^(?:(.*?)\s*<)?([^<>\s]+@[^<>\s]+?)>?$/.exec(rest);
  const email = m?.[2]?.toLowerCase() ?? null;
  return { email: email && EMAIL.test(email) ? email : null, name: m?.[1]?.replace(/"/g, '').trim() || null, fingerprint: fp ? fp[1]!.replace(/\s/g, '').toUpperCase() : null };
}
type Handler = (d: CaseRecord, args: string, env: KeywordEnv) => Outcome;

const ok = (note?: string): Outcome => (note ? { ok: true, note } : { ok: true });
const no = (reason: string): Outcome => ({ ok: false, reason });

export const classes = ['A', 'B1', 'B2', 'B3', 'C1', 'C2', 'D', 'E', 'Y', 'Z'] as const;
/** Classes whose reports are closed without publication (OpenStack VMT taxonomy: E, Y, Z). */
export const CLOSING_CLASSES = ['E', 'Y', 'Z'] as const;
export const severities = ['critical', 'high', 'medium', 'low', 'none'] as const;
export const projectStatuses = ['affected', 'not-affected', 'fixed', 'unknown'] as const;
const EMAIL = /^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$/;
const CVE = /^CVE-\d{4}-\d{4,}$/;

function setEmbargo(d: CaseRecord, args: string, env: KeywordEnv): Outcome {
  const parsed = parseEmbargo(args, env.config.policy.defaultDisclosureTime);
  if (!parsed.ok) return no(parsed.reason);
  if (parsed.spec.kind === 'none') {
    d.embargo = null;
    return ok('embargo lifted');
  }
  const problem = embargoProblem(parsed.spec.at, env.now, new Date(d.createdAt), env.config.policy.maxEmbargoDays, env.overridden);
  if (problem) return no(problem);
  d.embargo = parsed.spec.at.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const notes = [`embargo ends ${formatUtc(parsed.spec.at)}`, ...parsed.spec.warnings];
  for (const sid of d.stakeholders) {
    const s = env.config.stakeholders.find((x) => x.id === sid);
    if (s && noticeDue(parsed.spec.at, s) < env.now) notes.push(`${sid} gets less than its ${noticeWindowText(s)} of notice`);
  }
  return ok(notes.join('; '));
}

/** The keyword handlers of case commands. Each mutates the draft it is given (a copy) or refuses. */
export const handlers: Record<string, Handler> = {
  CASE: (d, args) => (args.toUpperCase() === d.id ? ok() : no(`X-CASE: ${args} does not match this case`)),
  STATE: (d, args) => {
    // An incident's words (reported, investigating, contained …) name the same lifecycle states.
    const kind = d.kind ?? 'vulnerability';
    const to = stateOfWord(kind, args);
    if (!to) return no(`unknown state "${args}"; ${kind === 'incident' ? 'incident ' : ''}states are: ${stateWords(kind).join(', ')}`);
    const t = keywordTransition(d.state, to, (s) => stateWord(kind, s));
    if (!t.ok) return no(t.reason);
    d.state = to;
    return ok(`state is ${stateWord(kind, to)}`);
  },
  KIND: setKind,
  CLASS: (d, args) => {
    const c = args.toUpperCase();
    if (!(classes as readonly string[]).includes(c)) return no(`unknown class "${args}"; classes are ${classes.join(', ')}`);
    const yamlClass = d.newAdvisoryYaml ? advisoryClass(d.newAdvisoryYaml) : null;
    if (yamlClass && yamlClass !== c) return no(classMismatch(c, yamlClass));
    if (!(CLOSING_CLASSES as readonly string[]).includes(c)) {
      d.class = c;
      return ok();
    }
    // E, Y, Z: not a vulnerability to publish; closing stops every notice and publication the planner would make
    if (d.state === 'published') return no(`the case is already published; class ${c} closes a case without publication`);
    d.class = c;
    if (!isOpen(d.state)) return ok(`class ${c}; the case stays ${d.state}`);
    d.state = 'closed';
    return ok(`class ${c}: the case is closed without publication; no notice or advisory is planned (X-REOPEN to reopen)`);
  },
  SEVERITY: (d, args) => {
    const s = args.toLowerCase();
    if (!(severities as readonly string[]).includes(s)) return no(`unknown severity "${args}"; use ${severities.join(', ')}`);
    d.severity = s;
    return ok();
  },
  TITLE: (d, args) => {
    if (!args) return no('X-TITLE needs a title');
    if (args.length > 200) return no('title longer than 200 characters');
    d.title = args;
    return ok();
  },
  'ADD-EXPERT': (d, args, env) => {
    const { email, name } = parseExpert(args);
    if (!email) return no(`"${args}" is not an address`);
    if (d.members.some((x) => x.email === email)) return no(`${email} is already a member`);
    const pick = env.keyFor(email);
    if (!pick.ok) return no(pick.reason);
    d.members.push({ email, name, role: 'expert', projectId: null, fingerprint: pick.fingerprint, pinned: true });
    return ok(`${email} added with key ${pick.fingerprint}${pick.note ? ` (${pick.note})` : ''}`);
  },
  'REMOVE-EXPERT': (d, args) => {
    const email = args.trim().replace(/^.*<|>$/g, '').toLowerCase();
    const m = d.members.find((x) => x.email === email);
    if (!m) return no(`${email} is not a member`);
    if (m.role === 'coordinator' || m.role === 'reporter') return no(`${email} is the case's ${m.role} and cannot be removed`);
    d.members = d.members.filter((x) => x.email !== email);
    return ok();
  },
  'ADD-PROJECT': (d, args, env) => {
    const id = args.trim().toLowerCase();
    const p = env.projects.find((x) => x.id === id);
    if (!p) return no(`unknown project "${args}"; projects are ${env.projects.map((x) => x.id).join(', ') || 'none registered'} (vmtd project add, or X-PROJECT-ADD to the team address)`);
    if (!p.active) return no(`project ${id} is inactive (vmtd project update ${id} --active)`);
    d.projects[id] ??= 'unknown';
    for (const c of p.contacts) {
      const email = c.email.toLowerCase();
      if (!d.members.some((x) => x.email === email)) d.members.push({ email, name: c.name, role: 'project-contact', projectId: id, fingerprint: c.fingerprint, pinned: true });
    }
    return ok(`${id} added with its ${p.contacts.length} contact(s)`);
  },
  'PROJECT-STATUS': (d, args, env) => {
    const [id = '', status = ''] = args.trim().toLowerCase().split(/\s+/);
    if (!(id in d.projects)) return no(`project "${id}" is not part of this case`);
    if (!(projectStatuses as readonly string[]).includes(status)) return no(`unknown status "${status}"; use ${projectStatuses.join(', ')}`);
    if (env.actor.role === 'project-contact' && env.actor.projectId !== id) return no(`you may state the status of ${env.actor.projectId} only`);
    d.projects[id] = status;
    return ok();
  },
  EMBARGO: setEmbargo,
  'EMBARGO-OVERRIDE': (d, args) => {
    if (!args) return no('X-EMBARGO-OVERRIDE needs a reason');
    d.embargoOverride = args;
    return ok('policy maximum overridden');
  },
  CVE: (d, args) => {
    const ids = args.split(/[\s,]+/).filter(Boolean).map((x) => x.toUpperCase());
    if (ids.length === 0) return no('X-CVE needs a CVE ID');
    const bad = ids.filter((x) => !CVE.test(x));
    if (bad.length > 0) return no(`not a CVE ID: ${bad.join(', ')} (CVE-YYYY-NNNN)`);
    d.cves = [...new Set([...d.cves, ...ids])].sort();
    return ok();
  },
  'CVE-REQUEST': (d, args, env) => {
    const cna = env.config.cve?.cna;
    if (!cna) return no('no CNA is configured (cve.cna: name, email, keyFile in the configuration)');
    if (!isOpen(d.state)) return no(`the case is ${d.state}: CVE IDs are requested for open cases`);
    if (args) return no('X-CVE-REQUEST takes no argument: it asks one ID per vulnerability of the latest advisory YAML (or one)');
    // the CNA is a configured person: configuredKey is its key file's fingerprint, null when unreadable
    const how = cna.keyFile && env.configuredKey(cna.email)
      ? 'signed and encrypted to its configured key, with the details of the latest advisory YAML (or the case title)'
      : `clear-signed as a reservation request without any case detail (${cna.keyFile ? 'its configured key cannot be read' : 'no cve.cna.keyFile configured'})`;
    return ok(`CVE request to ${cna.name} <${cna.email}>, ${how}${d.cves.length > 0 ? `; the case already has ${d.cves.join(', ')}` : ''}`);
  },
  CREDIT: (d, args, env) => {
    if (!args) return no('X-CREDIT needs a name, e.g. "Jane Doe from Example Corp"');
    if (env.actor.role === 'reporter') {
      d.credits = d.credits.filter((c) => c.email !== env.actor.email);
      d.credits.push({ email: env.actor.email, text: args, type: 'REPORTER' });
      return ok('your credit line is set');
    }
    const typed = /^(FINDER|REPORTER|ANALYST|COORDINATOR|REMEDIATION_DEVELOPER|REMEDIATION_REVIEWER|REMEDIATION_VERIFIER|TOOL|SPONSOR|OTHER)\s*:\s*(.+)$/i.exec(args);
    d.credits.push({ email: env.actor.email, text: typed ? typed[2]!.trim() : args, type: typed ? typed[1]!.toUpperCase() : 'REPORTER' });
    return ok();
  },
  NOTIFY: (d, args, env) => {
    const ids = args.split(/[\s,]+/).filter(Boolean).map((x) => x.toLowerCase());
    const unknown = ids.filter((x) => !env.config.stakeholders.some((s) => s.id === x));
    if (ids.length === 0 || unknown.length > 0) return no(`unknown stakeholder ${unknown.join(', ') || '(none given)'}; stakeholders are ${env.config.stakeholders.map((s) => s.id).join(', ') || 'none configured'}`);
    d.stakeholders = [...new Set([...d.stakeholders, ...ids])].sort();
    const notes: string[] = [];
    if (d.embargo) {
      for (const id of ids) {
        const s = env.config.stakeholders.find((x) => x.id === id)!;
        if (noticeDue(new Date(d.embargo), s) < env.now) notes.push(`${id} gets less than its ${noticeWindowText(s)} of notice`);
      }
    }
    return ok(notes.join('; ') || undefined);
  },
  ADVISORY: (d, _args, env) => {
    if (!env.advisoryYaml) return no('attach the advisory as a .yaml file (application/yaml or text/yaml)');
    const errors = env.validateAdvisory(env.advisoryYaml);
    if (errors.length > 0) return no(`the advisory is invalid:\n    ${errors.join('\n    ')}`);
    const yamlClass = advisoryClass(env.advisoryYaml);
    if (d.class && yamlClass && d.class !== yamlClass) return no(classMismatch(d.class, yamlClass));
    // a case without X-CLASS takes the advisory's class (the CVE reminder looks at class A cases)
    const adopted = !d.class && yamlClass ? `; the case's class is now ${yamlClass}` : '';
    if (adopted) d.class = yamlClass;
    d.newAdvisoryYaml = env.advisoryYaml;
    d.newPatches = env.patches;
    d.advisory = { revision: (d.advisory?.revision ?? 0) + 1, state: 'draft' };
    const patches = env.patches.length > 0 ? ` with patches ${env.patches.map((p) => p.name).join(', ')}` : '';
    return ok(`stored as revision ${d.advisory.revision}${patches}; a preview goes to the case${adopted}`);
  },
  APPROVE: (d) => {
    if (!d.advisory || d.advisory.state === 'withdrawn') return no('no advisory draft to approve: send one with X-ADVISORY first');
    if (d.advisory.state === 'published') return no('the advisory is already published');
    d.advisory = { ...d.advisory, state: 'approved' };
    return ok(`revision ${d.advisory.revision} approved`);
  },
  PUBLISH: (d, _args, env) => {
    const t = transition(d.state, 'published');
    if (!t.ok) return no(t.reason);
    // Publishing ends the embargo now: the disclosure time is this moment.
    d.embargo = env.now.toISOString().replace(/\.\d{3}Z$/, 'Z');
    d.state = 'published';
    return ok(d.advisory?.state === 'approved' ? 'the approved advisory goes out at the next tick' : 'published without an advisory');
  },
  MERGE: (d, args, env) => {
    const other = args.trim().toUpperCase();
    if (other === d.id) return no('a case cannot be merged into itself');
    if (!env.caseExists(other)) return no(`no case ${other}`);
    const t = transition(d.state, 'duplicate');
    if (!t.ok) return no(t.reason);
    d.state = 'duplicate';
    d.mergedInto = other;
    return ok(`marked as a duplicate of ${other}`);
  },
  REOPEN: (d) => {
    if (!['closed', 'rejected', 'duplicate'].includes(d.state)) return no(`the case is ${d.state}, not closed, rejected or duplicate`);
    d.state = 'accepted';
    d.mergedInto = null;
    return ok('reopened as accepted');
  },
  STATUS: () => ok(),
  LEAKED: (d, args, env) => {
    d.leakedAt = env.now.toISOString().replace(/\.\d{3}Z$/, 'Z');
    const note = `leak recorded${args ? ` (${args})` : ''}; the case moves to the public workflow`;
    if (!isOpen(d.state)) return ok(note);
    const at = leakDisclosure(d.embargo ? new Date(d.embargo) : null, env.now, env.config.policy.leakGraceHours);
    d.embargo = at.toISOString().replace(/\.\d{3}Z$/, 'Z');
    return ok(`${note}: disclosure moves to ${formatUtc(at)}, or as soon as an advisory is approved after it; told stakeholders get an update`);
  },
};

/** The `class` of an advisory YAML, or null when it does not parse (validation reports that). Pure. */
function advisoryClass(yaml: string): string | null {
  const r = parseAdvisory(yaml);
  return r.ok ? r.advisory.class : null;
}

function classMismatch(caseClass: string, yamlClass: string): string {
  return `the case's class is ${caseClass} (X-CLASS) but the advisory YAML says class: ${yamlClass}; make them agree (change the YAML, or send X-CLASS: ${yamlClass})`;
}

/**
 * When a leaked case is disclosed: the leak time plus the grace (policy.leakGraceHours), or the
 * embargo if that is earlier. The approved advisory is published then, or as soon as one is
 * approved after it. Pure.
 */
export function leakDisclosure(embargo: Date | null, leakedAt: Date, graceHours: number): Date {
  const asap = new Date(leakedAt.getTime() + graceHours * 3_600_000);
  return embargo && embargo.getTime() < asap.getTime() ? embargo : asap;
}

/** Keywords each role may use in a case (coordinators: all). */
const roleKeywords: Record<MemberRole, readonly string[] | 'all'> = {
  coordinator: 'all',
  'project-contact': ['CASE', 'PROJECT-STATUS', 'STATUS'],
  expert: ['CASE', 'STATUS'],
  reporter: ['CASE', 'STATUS', 'CREDIT'],
};

/** Whether a role may use a keyword. Pure. */
export function mayUse(role: MemberRole, keyword: string): boolean {
  const allowed = roleKeywords[role];
  return allowed === 'all' || allowed.includes(keyword);
}

/**
 * Moves a case between accepted and scheduled as its facts change: scheduled once an embargo is
 * set and the advisory approved; back to accepted when either goes. Pure.
 */
export function settleSchedule(d: CaseRecord): void {
  const ready = d.embargo !== null && d.advisory?.state === 'approved';
  if (d.state === 'accepted' && ready) d.state = 'scheduled';
  else if (d.state === 'scheduled' && !ready) d.state = 'accepted';
}
