/**
 * The advisory as it is published: dated the day it actually goes out, with the credits given by
 * command (X-CREDIT) merged into the YAML's. Pure: the renderers then see one consistent Advisory.
 */
import { CREDIT_TYPES, type Advisory, type Credit, type CreditType } from './types.js';

/** A credit given by command: "Name from Affiliation" (or "Name") and its OSV type. */
export interface GivenCredit {
  text: string;
  type: string;
}

/** The UTC day (YYYY-MM-DD) of an instant. */
export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/**
 * The advisory dated `day` (YYYY-MM-DD), the day it is published: the text's Date, the page, OSV
 * `published` and CVE `datePublished` all follow. Errata dated later keep their dates.
 */
export function datedOn(adv: Advisory, day: string): Advisory {
  return { ...adv, date: day };
}

const norm = (s: string): string => s.normalize('NFC').toLowerCase().replace(/\s+/g, ' ').trim();

/** "Jane Doe from Example Corp" → name and affiliation; a text without " from " is a name. */
export function splitCredit(text: string): { name: string; affiliation?: string } {
  const m = /^(.+?)\s+from\s+(.+)$/.exec(text.trim());
  return m ? { name: m[1]!.trim(), affiliation: m[2]!.trim() } : { name: text.trim() };
}

/**
 * The YAML's credits plus those given by command, each person once per role: a command credit is
 * left out when the YAML (or an earlier command credit) already names that person — by name, or
 * by "Name from Affiliation" — with the same type (YAML reporters count as REPORTER and FINDER).
 * Unknown types become OTHER.
 */
export function withGivenCredits(adv: Advisory, given: readonly GivenCredit[]): Advisory {
  const seen = new Set<string>();
  const mark = (type: string, name: string, affiliation: string | undefined): void => {
    seen.add(`${type}\u0000${norm(name)}`);
    if (affiliation) seen.add(`${type}\u0000${norm(`${name} from ${affiliation}`)}`);
  };
  for (const r of adv.reporters) for (const type of ['REPORTER', 'FINDER']) mark(type, r.name, r.affiliation);
  for (const c of adv.credits) mark(c.type, c.name, c.affiliation);
  const added: Credit[] = [];
  for (const g of given) {
    const type: CreditType = (CREDIT_TYPES as readonly string[]).includes(g.type) ? (g.type as CreditType) : 'OTHER';
    const { name, affiliation } = splitCredit(g.text);
    if (!name || seen.has(`${type}\u0000${norm(name)}`) || seen.has(`${type}\u0000${norm(g.text)}`)) continue;
    mark(type, name, affiliation);
    added.push({ name, type, ...(affiliation ? { affiliation } : {}), contact: [] });
  }
  return added.length === 0 ? adv : { ...adv, credits: [...adv.credits, ...added] };
}

/**
 * The advisory as published with its errata: dated `firstDay` (the original publication), and
 * one history entry per later publication (`errataDays`, oldest first), each dated the day it
 * went out. The YAML's own `errata_history` supplies the wording, oldest entry to oldest
 * publication (a revision's YAML usually repeats the earlier errata and adds its own); YAML
 * entries beyond the publications keep their dates; a publication without a YAML entry reads
 * "Errata N". So OSV `modified`, CVE `dateUpdated`, CSAF `current_release_date`, the page's
 * "Updated" date and the feed's `updated` all say when the correction went out. Pure.
 */
export function withErrata(adv: Advisory, firstDay: string, errataDays: readonly string[]): Advisory {
  const yaml = [...adv.errataHistory].sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  const paired = errataDays.map((day, i) => ({ date: day, text: yaml[i]?.text ?? `Errata ${i + 1}` }));
  return { ...adv, date: firstDay, errataHistory: [...paired, ...yaml.slice(errataDays.length)] };
}
