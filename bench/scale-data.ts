// A realistic database of a team that has run vmtd for three years, for the scale scenario
// (bench/scale.ts): 10,000 cases, most of them published or closed and ~500 open with embargoes,
// their members, messages, events (~100,000), notices, advisories, relays in the outbox, spooled
// mail, and a few hundred projects in the registry. Written with the store's calls (raw SQL only
// for rows no store call writes directly) in one transaction.
import { isoMinute } from '../src/scheduler/planner.js';
import { deadlineActions } from '../src/scheduler/deadlines.js';
import { addCaseProject, insertCase, insertMessage, upsertMember } from '../src/store/cases.js';
import type { Db } from '../src/store/db.js';
import { addEvent } from '../src/store/events.js';
import { claimOnce } from '../src/store/notices.js';
import { insertProject, upsertProjectContact } from '../src/store/projects.js';
import type { Sealer } from '../src/store/seal.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const iso = (t: number): string => new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** What was built, for the bench's output. */
export interface ScaleCounts {
  cases: number;
  open: number;
  members: number;
  messages: number;
  events: number;
  notices: number;
  outbox: number;
  spool: number;
  projects: number;
  advisories: number;
}

export interface ScaleOptions {
  cases: number;
  open: number;
  projects: number;
  coordinators: Array<{ email: string; name: string }>;
  /** A stakeholder configured in the bench config (pre-disclosures). */
  stakeholder: string;
  maxEmbargoDays: number;
  reminderDays: readonly number[];
  /** A valid advisory YAML for the approved and published revisions (ID replaced per case). */
  advisoryYaml: string;
}

/** A small deterministic generator: the same database every run. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/**
 * Builds the database at `now` (one transaction). The newest `open` cases are open (created within
 * the disclosure limit, embargoes set, a tenth scheduled within a week with the pre-disclosure
 * sent); the older ones are published (70 %), closed, rejected or duplicates, with what their life
 * left behind. Deadline reminders already due are recorded as sent: the daemon has been running.
 */
export function buildScaleDb(db: Db, sealer: Sealer, now: number, o: ScaleOptions): ScaleCounts {
  const r = rng(20261202);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const n: ScaleCounts = { cases: 0, open: 0, members: 0, messages: 0, events: 0, notices: 0, outbox: 0, spool: 0, projects: 0, advisories: 0 };
  const setCase = db.prepare('UPDATE cases SET state = ?, class = ?, severity = ?, embargo = ?, updated_at = ?, embargo_override = ? WHERE id = ?');
  const stake = db.prepare('INSERT INTO case_stakeholders (case_id, stakeholder, added_at) VALUES (?, ?, ?)');
  const cve = db.prepare('INSERT INTO case_cves (case_id, cve) VALUES (?, ?)');
  const status = db.prepare('UPDATE case_projects SET status = ? WHERE case_id = ? AND project_id = ?');
  const adv = db.prepare('INSERT INTO advisories (case_id, revision, state, yaml_sealed, created_at, approved_at, approved_by, published_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  const notice = db.prepare("INSERT INTO notices (key, case_id, kind, stakeholder, embargo, due_at, state, sent_at) VALUES (?, ?, ?, ?, ?, ?, 'sent', ?)");
  const spool = db.prepare("INSERT INTO spool (received_at, via, mail_from, rcpt_to, size, raw_sealed, state, outcome, case_id, processed_at, reason) VALUES (?, 'smtp', ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  const outbox = db.prepare("INSERT INTO outbox (case_id, kind, message_id, rcpt, raw, state, attempts, next_attempt_at, created_at, sent_at, source_message) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)");
  const sealedBody = sealer.seal('x'.repeat(900));
  const raw = Buffer.alloc(400, 0x41);

  db.transaction(() => {
    // The registry: a few hundred projects, one or two contacts each.
    const projectIds: string[] = [];
    for (let p = 0; p < o.projects; p++) {
      const id = `proj${String(p).padStart(3, '0')}`;
      const at = iso(now - (1200 - p) * DAY);
      insertProject(db, { id, name: `Project ${p}`, source: 'cli', policyAgreedAt: p % 3 === 0 ? at.slice(0, 10) : null, fixesUrl: `https://git.example.org/${id}` }, at);
      for (let c = 0; c < 1 + (p % 2); c++) upsertProjectContact(db, id, { email: `sec${c}@${id}.example`, name: `Security ${c}`, fingerprint: null, source: 'cli' }, at);
      projectIds.push(id);
      n.projects++;
    }
    // Some projects get most of the reports (a few big libraries, a long tail).
    const projectFor = (): string => projectIds[Math.floor(projectIds.length * r() ** 2.5)]!;

    const span = 1100 * DAY;
    const oldEnd = now - o.maxEmbargoDays * DAY;
    for (let i = 0; i < o.cases; i++) {
      const id = `SEC-${2023 + Math.floor((i * 3) / o.cases)}-${String(i + 1).padStart(5, '0')}`;
      const isOpen = i >= o.cases - o.open;
      const created = isOpen ? now - (o.maxEmbargoDays - 2) * DAY * r() : now - span + (i / (o.cases - o.open)) * (span - (now - oldEnd));
      const at = iso(created);
      const reporter = `r${i % 3000}@reporter${i % 97}.example`;
      insertCase(db, sealer, { id, title: `heap overflow in parser ${i}`, reporter, at });
      n.cases++;
      const state = isOpen ? pick(['new', 'triaged', 'accepted', 'accepted', 'scheduled']) : pick(['published', 'published', 'published', 'published', 'published', 'published', 'published', 'closed', 'closed', 'rejected']);
      if (isOpen) n.open++;
      const cls = r() < 0.4 ? 'A' : pick(['B', 'C']);
      const members: Array<{ email: string; role: 'coordinator' | 'reporter' | 'expert' | 'project-contact'; projectId: string | null }> = [];
      for (const c of o.coordinators) members.push({ email: c.email, role: 'coordinator', projectId: null });
      members.push({ email: reporter, role: 'reporter', projectId: null });
      const projects = r() < 0.3 ? [projectFor(), projectFor()] : [projectFor()];
      for (const p of new Set(projects)) {
        addCaseProject(db, id, p);
        members.push({ email: `sec0@${p}.example`, role: 'project-contact', projectId: p });
      }
      if (r() < 0.2) members.push({ email: `expert${i % 50}@experts.example`, role: 'expert', projectId: null });
      for (const m of members) {
        upsertMember(db, id, { email: m.email, name: null, role: m.role, projectId: m.projectId, fingerprint: null, pinned: m.role !== 'reporter' }, at);
        n.members++;
      }

      // The report and the replies: the project's contacts answer within hours to weeks.
      const received: Array<{ from: string; t: number; kind: 'report' | 'reply' | 'command' }> = [{ from: reporter, t: created, kind: 'report' }];
      for (const m of members.filter((x) => x.role === 'project-contact')) if (!isOpen || r() < 0.6) received.push({ from: m.email, t: created + (2 + 200 * r() ** 2) * HOUR, kind: 'reply' });
      received.push({ from: o.coordinators[0]!.email, t: created + 3 * HOUR, kind: 'command' });
      if (r() < 0.5) received.push({ from: reporter, t: created + 30 * HOUR, kind: 'reply' });
      for (const [k, m] of received.entries()) {
        const t = Math.min(m.t, now - 60_000);
        const spoolId = Number(spool.run(iso(t), m.from, '["security@example.org"]', 2000, sealedBody, 'done', k === 0 ? 'report' : m.kind === 'command' ? 'command' : 'case-message', id, iso(t + 1000), null).lastInsertRowid);
        n.spool++;
        const mid = insertMessage(db, { caseId: id, spoolId, messageId: `<m${i}.${k}@mail.example>`, from: m.from, receivedAt: iso(t), encrypted: true, signature: 'good', signer: null, kind: m.kind, content: { inline: sealedBody, file: null } });
        n.messages++;
        addEvent(db, id, iso(t), m.from, k === 0 ? 'opened' : 'message', { spool: spoolId, encrypted: true, signature: 'good', ...(k === 0 ? { projects } : {}) });
        n.events++;
        // Each message is relayed to the other members (one outbox row each, delivered).
        for (const to of members) {
          if (to.email === m.from) continue;
          const failed = r() < 0.002;
          const ob = Number(outbox.run(id, 'relay', `<relay${i}.${k}.${to.email}@example.org>`, to.email, raw, failed ? 'failed' : 'sent', iso(t), iso(t), failed ? null : iso(t + 2000), mid).lastInsertRowid);
          n.outbox++;
          if (failed) {
            addEvent(db, id, iso(t + 3600_000), 'vmtd', 'delivery-failed', { outbox: ob, rcpt: to.email, error: '550 5.1.1 no such user' });
            n.events++;
          }
        }
      }

      // The coordinators' commands and state changes.
      const cmd = (t: number, keyword: string, args: string): void => {
        addEvent(db, id, iso(Math.min(t, now - 60_000)), o.coordinators[0]!.email, 'command', { keyword, args, signer: 'F'.repeat(40), digest: 'd'.repeat(64) });
        n.events++;
      };
      const stateEvent = (t: number, from: string, to: string): void => {
        addEvent(db, id, iso(Math.min(t, now - 60_000)), o.coordinators[0]!.email, 'state', { from, to });
        n.events++;
      };
      cmd(created + 3 * HOUR, 'CLASS', cls);
      if (state !== 'new') stateEvent(created + 3 * HOUR, 'new', state === 'rejected' ? 'rejected' : 'accepted');
      const withStakeholder = r() < 0.35;
      if (withStakeholder) stake.run(id, o.stakeholder, at);

      let embargo: string | null = null;
      if (isOpen) {
        // Open: most have an embargo weeks out; the scheduled ones within a week have told the stakeholder.
        const soon = state === 'scheduled' && r() < 0.5;
        const e = soon ? now + (1 + 5 * r()) * DAY : now + (8 + 50 * r()) * DAY;
        embargo = state === 'new' && r() < 0.5 ? null : iso(Math.floor(e / 60_000) * 60_000);
        if (embargo) cmd(created + 4 * HOUR, 'EMBARGO', embargo);
        if (state === 'accepted' || state === 'scheduled') {
          const approved = state === 'scheduled';
          adv.run(id, 1, approved ? 'approved' : 'draft', sealer.seal(o.advisoryYaml.replace(/^id: .*$/m, `id: ${id}`)), iso(created + 5 * DAY), approved ? iso(created + 6 * DAY) : null, approved ? o.coordinators[0]!.email : null, null);
          n.advisories++;
        }
        if (embargo && soon && withStakeholder) {
          notice.run(`pre:${id}:${o.stakeholder}`, id, 'pre-disclosure', o.stakeholder, isoMinute(new Date(embargo)), iso(Date.parse(embargo) - 7 * DAY), iso(Date.parse(embargo) - 7 * DAY));
          n.notices++;
        }
        if (embargo) {
          addEvent(db, id, iso(created + 4 * HOUR), 'vmtd', 'calendar', { method: 'REQUEST', sequence: 0, embargo, published: false });
          n.events++;
        }
        for (const p of new Set(projects)) if (r() < 0.3) cmd(created + 5 * DAY, 'PROJECT-STATUS', `${p} affected`);
      } else {
        const closedAt = created + (10 + 80 * r()) * DAY;
        if (state === 'published' || state === 'closed') {
          embargo = iso(Math.floor((created + (20 + 60 * r()) * DAY) / 60_000) * 60_000);
          const e = Date.parse(embargo);
          cmd(created + 4 * HOUR, 'EMBARGO', embargo);
          addEvent(db, id, iso(created + 4 * HOUR), 'vmtd', 'calendar', { method: 'REQUEST', sequence: 0, embargo, published: false });
          addEvent(db, id, iso(e), 'vmtd', 'calendar', { method: 'CANCEL', sequence: 1, embargo, published: true });
          n.events += 2;
          claimOnce(db, `calendar:${id}:1`, 'calendar', iso(e));
          adv.run(id, 1, 'published', sealer.seal(o.advisoryYaml.replace(/^id: .*$/m, `id: ${id}`)), iso(e - 10 * DAY), iso(e - 9 * DAY), o.coordinators[0]!.email, iso(e));
          n.advisories++;
          notice.run(`publish:${id}`, id, 'publish', null, null, iso(e), iso(e));
          n.notices += 2;
          if (withStakeholder) {
            notice.run(`pre:${id}:${o.stakeholder}`, id, 'pre-disclosure', o.stakeholder, isoMinute(new Date(embargo)), iso(e - 7 * DAY), iso(e - 7 * DAY));
            n.notices++;
          }
          for (const p of new Set(projects)) cmd(created + (3 + 30 * r()) * DAY, 'PROJECT-STATUS', `${p} fixed 1.${i % 9}.${i % 7}`);
          for (const p of new Set(projects)) status.run('fixed', id, p);
          if (cls === 'A') cve.run(id, `CVE-${2023 + Math.floor((i * 3) / o.cases)}-${10000 + i}`);
          stateEvent(e, 'scheduled', 'published');
          if (state === 'closed') stateEvent(closedAt + 30 * DAY, 'published', 'closed');
          // Deadline reminders that went out on the way (cases that ran long).
          if (e - created > (o.maxEmbargoDays - 14) * DAY) {
            claimOnce(db, `deadline:${id}:${iso(created + o.maxEmbargoDays * DAY).slice(0, 10)}:14d`, 'deadline-reminder', iso(created + (o.maxEmbargoDays - 14) * DAY));
            n.notices++;
          }
        } else {
          stateEvent(closedAt, 'accepted', state);
        }
      }
      setCase.run(state, cls, pick(['low', 'medium', 'high', 'critical']), embargo, isOpen ? iso(created + 4 * HOUR) : iso(created + 90 * DAY), null, id);
    }

    // The daemon has been running: the deadline reminders already due for the open cases were sent.
    const open = db.prepare("SELECT id, state, created_at FROM cases WHERE state IN ('new', 'triaged', 'accepted', 'scheduled')").all() as Array<{ id: string; state: string; created_at: string }>;
    const due = deadlineActions(open.map((c) => ({ id: c.id, state: c.state, createdAt: new Date(c.created_at), overridden: false, approved: false })), new Date(now), { maxEmbargoDays: o.maxEmbargoDays, reminderDays: o.reminderDays, atLimit: 'alert' }, new Set());
    for (const a of due) {
      claimOnce(db, a.key, a.kind === 'reminder' ? 'deadline-reminder' : 'deadline-limit', iso(now - HOUR));
      n.notices++;
    }
    // A little quarantine and a few unprocessed messages, as any day has.
    for (let q = 0; q < 40; q++) {
      spool.run(iso(now - q * 7 * HOUR), `spam${q}@junk.example`, '["security@example.org"]', 3000, sealedBody, 'quarantined', null, null, iso(now - q * 7 * HOUR), pick(['undecodable', 'no integrity protection', 'loop']));
      n.spool++;
    }
  })();
  return n;
}
