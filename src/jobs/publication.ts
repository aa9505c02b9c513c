/**
 * The public advisory of a case, one way for every path that makes it: the first publication and
 * each erratum (jobs/run-planner.ts) and `vmtd publish --rebuild` (cli/publish.ts). The same
 * database facts give the same advisory, text and files, so a rebuild rewrites what publication
 * wrote. Decisions: docs/advisory-format.md, "Errata" and "Rebuilding the site".
 */
import { iso } from '../clock.js';
import type { Vmtd } from '../context.js';
import { advisorySubject, rebuildSite, renderAdvisory, siteOptions, type Advisory, type PublishOptions, type SiteAdvisory } from '../advisories/index.js';
import { utcDay, withErrata, withGivenCredits } from '../advisories/published.js';
import { instanceTemplates } from '../advisories/templates.js';
import { latestAdvisory, publicationsOf, publishedCaseIds, type Publication, type StoredAdvisory } from '../store/advisories.js';
import { caseCredits } from '../store/case-records.js';
import { getCase } from '../store/cases.js';
import { caseTimes } from '../store/job-facts.js';
import { caseTimeline, timelineText, type TimelineEntry } from './timeline.js';

/** A case's advisory as the public sees it, with the text that is mailed and published as `ID.txt.asc`. */
export interface PublicAdvisory {
  advisory: Advisory;
  /** the plain-text advisory (plus the timeline when policy.publishTimeline) */
  text: string;
  timeline?: TimelineEntry[];
  /** the case's severity (X-SEVERITY), shown on the page before a CVSS-derived one */
  severity: string | null;
  /** 0 for the first publication, N for the N-th erratum */
  errata: number;
}

/**
 * The advisory of `stored` as published: its YAML with the X-CREDIT credits merged, dated the
 * day of the first publication, with one errata entry per later publication dated the day it went
 * out (`withErrata`). `publications` are the case's published revisions (oldest first); the one
 * being published now, if not among them, is `now`. Deterministic for given database facts.
 */
export function publicAdvisory(ctx: Pick<Vmtd, 'config' | 'db' | 'sealer'>, caseId: string, stored: StoredAdvisory, publications: readonly Publication[], now: Date): PublicAdvisory {
  const upTo = publications.filter((p) => p.revision <= stored.revision).map((p) => p.publishedAt);
  if (!publications.some((p) => p.revision === stored.revision)) upTo.push(iso(now));
  const [first, ...errata] = upTo.map((at) => utcDay(new Date(at)));
  const advisory = withErrata(withGivenCredits(stored.advisory, caseCredits(ctx.db, caseId)), first!, errata);
  const created = caseTimes(ctx.db, caseId)!.createdAt;
  // The timeline ends at the first publication: an erratum does not move "Advisory published".
  const timeline = ctx.config.policy.publishTimeline ? caseTimeline(ctx.db, caseId, created, new Date(upTo[0]!)) : undefined;
  const templatesDir = instanceTemplates(ctx.config).advisory;
  const rendered = renderAdvisory(advisory, 'rst', { templatesDir, ...(timeline ? { timeline } : {}) });
  const text = timeline ? `${rendered.trimEnd()}\n\n${timelineText(timeline)}\n` : rendered;
  const severity = getCase(ctx.db, ctx.sealer, caseId)?.severity ?? null;
  return { advisory, text, ...(timeline ? { timeline } : {}), severity, errata: errata.length };
}

/** The oss-security subject of a publication: an erratum says so after the ID. */
export function publicSubject(p: PublicAdvisory): string {
  const subject = advisorySubject(p.advisory);
  return p.errata === 0 ? subject : subject.replace(/^\[([^\]]+)\] /, `[$1] Errata ${p.errata}: `);
}

/** The options every file of the instance's site is written with (team, URL, templates, key). */
export function siteWriteOptions(ctx: Pick<Vmtd, 'config' | 'team'>, now: Date): PublishOptions {
  const site = siteOptions(ctx.config.instance, ctx.team, now, ctx.config.policy.maxEmbargoDays);
  // the CVE records name the configured CNA (config cve); without it a placeholder UUID that belongs to nobody
  const cve = ctx.config.cve;
  const assigner = { ...(cve?.assignerOrgId ? { assignerOrgId: cve.assignerOrgId } : {}), ...(cve?.assignerShortName ? { assignerShortName: cve.assignerShortName } : {}) };
  return { site, siteUrl: site.baseUrl, teamName: ctx.config.instance.name, templatesDir: instanceTemplates(ctx.config).advisory, ...assigner };
}

/** One published advisory's per-advisory write options. */
export function fileOptions(p: PublicAdvisory): NonNullable<SiteAdvisory['options']> {
  return { text: p.text, severity: p.severity, ...(p.timeline ? { timeline: p.timeline } : {}) };
}


/** What a rebuild did. */
export interface RebuildSummary {
  publicDir: string;
  advisories: string[];
  /** manifest entries not from this database, kept in the index */
  kept: string[];
  files: number;
}

/**
 * Rewrites the public site from the database: every case's newest published revision (errata
 * included, dated as published), the index, feed, records, security.txt, team key and WKD.
 * `progress` is told after each advisory. Idempotent: unchanged data gives the same files.
 */
export async function rebuildPublicSite(ctx: Pick<Vmtd, 'config' | 'db' | 'sealer' | 'team' | 'clock' | 'log'>, progress?: (done: number, total: number, id: string) => void): Promise<RebuildSummary> {
  const items: SiteAdvisory[] = [];
  for (const caseId of publishedCaseIds(ctx.db)) {
    const stored = latestAdvisory(ctx.db, ctx.sealer, caseId, ['published']);
    if (!stored) {
      ctx.log.warn({ case: caseId }, 'published revision does not parse any more: left out of the rebuild');
      continue;
    }
    const p = publicAdvisory(ctx, caseId, stored, publicationsOf(ctx.db, caseId), ctx.clock());
    items.push({ advisory: p.advisory, options: fileOptions(p) });
  }
  const publicDir = ctx.config.instance.publicDir;
  const r = await rebuildSite(items, publicDir, siteWriteOptions(ctx, ctx.clock()), progress);
  return { publicDir, advisories: items.map((i) => i.advisory.id), kept: r.kept, files: r.written.length };
}
