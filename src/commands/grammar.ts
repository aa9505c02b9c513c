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

const KEYWORD = /^X-([A-Za-z][A-Za-z-]*)\s*(?::\s*(.*?))?\s*$/;

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
