import { projectTeamKeywords } from './project-keywords.js';

/** One keyword line of a command message. */
export interface CommandLine {
  /** Upper-cased keyword without the X- prefix, e.g. STATE. */
  keyword: string;
  args: string;
  /** The line as written, for the answer. */
  line: string;
}

export interface ParsedCommands {
  lines: CommandLine[];
  /** Everything after the keyword block: relayed to the case with the results. */
  comment: string;
}

// The whole keyword is case-insensitive, its X- prefix too (`x-state: triaged` is a command).
const KEYWORD = /^[Xx]-([A-Za-z][A-Za-z-]*)\s*(?::\s*(.*?))?\s*$/;

/**
 * Reads the keyword block at the start of a decrypted text body: lines `X-KEYWORD: arguments`
 * (keyword case-insensitive) up to the first other line or `X-STOP`. Leading blank lines are
 * skipped. Pure and total.
 */
export function parseCommands(text: string): ParsedCommands {
  const all = text.replace(/\r\n?/g, '\n').split('\n');
  let i = 0;
  while (i < all.length && all[i]!.trim() === '') i++;
  const lines: CommandLine[] = [];
  for (; i < all.length; i++) {
    const m = KEYWORD.exec(all[i]!.trim());
    if (!m) break;
    const keyword = m[1]!.toUpperCase();
    if (keyword === 'STOP') {
      i++;
      break;
    }
    lines.push({ keyword, args: (m[2] ?? '').trim(), line: all[i]!.trim() });
  }
  return { lines, comment: all.slice(i).join('\n').trim() };
}

/** Whether a text body starts with keyword lines. */
export function looksLikeCommands(text: string): boolean {
  return parseCommands(text).lines.length > 0;
}

/** The case keywords of the command language (DESIGN.md; the handlers in keywords.ts). */
export const caseKeywords: readonly string[] = [
  'CASE', 'STATE', 'KIND', 'CLASS', 'SEVERITY', 'TITLE', 'ADD-EXPERT', 'REMOVE-EXPERT', 'ADD-PROJECT', 'PROJECT-STATUS', 'EMBARGO', 'CVE', 'CVE-REQUEST',
  'CREDIT', 'NOTIFY', 'ADVISORY', 'APPROVE', 'PUBLISH', 'MERGE', 'REOPEN', 'STATUS', 'EMBARGO-OVERRIDE', 'LEAKED',
];

/** The team keywords, sent to the intake address without X-CASE. */
export const teamKeywords: readonly string[] = ['HELP', 'LIST-CASES', 'OPEN', ...projectTeamKeywords];

export interface CommandCandidate {
  /** The decrypted text body. */
  text: string;
  /** Whether the message carries a signature of any state (good, bad, unknown key): not 'unsigned'. */
  signed: boolean;
  /** Whether it was sent to the team's intake address (not a case address). */
  toIntake: boolean;
}

/** The keyword of the first non-blank line when that line is a keyword line, else null. */
function firstKeyword(text: string): string | null {
  const first = text.replace(/\r\n?/g, '\n').split('\n').find((l) => l.trim() !== '');
  const m = first === undefined ? null : KEYWORD.exec(first.trim());
  return m ? m[1]!.toUpperCase() : null;
}

/**
 * Whether a message is a command message rather than a report or a reply. A text starting with a
 * header-like line (`X-Forwarded-For: 1.2.3.4`, a pasted HTTP response) is a report. Pure and total.
 *
 * - first line `X-CASE:`: a command message, signed or not (unsigned or badly signed ones are
 *   refused with the reason, never applied; no client writes vmtd's binding keyword by accident);
 * - otherwise only a signed message (any signature state but 'unsigned') is one, and only when its
 *   first non-blank line is a vmtd keyword: a team keyword (X-HELP, X-LIST-CASES, X-OPEN) when
 *   sent to the intake address, a case keyword when sent to a case address (a member who forgot
 *   the X-CASE line is told so instead of having the commands relayed as a comment).
 */
export function isCommandMessage(m: CommandCandidate): boolean {
  const keyword = firstKeyword(m.text);
  if (keyword === null) return false;
  if (keyword === 'CASE') return true;
  if (!m.signed) return false;
  return (m.toIntake ? teamKeywords : caseKeywords).includes(keyword);
}
