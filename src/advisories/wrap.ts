/**
 * Word wrapping for the plain-text advisory: applied to the whole rendered mail, so wording the
 * team adds to the template is wrapped too.
 */

/**
 * Wraps every line longer than `width` at spaces. Continuation lines keep the line's indentation
 * plus the width of a list marker ("- ", "* ", "3. "), so bullets get a hanging indent. A word
 * longer than the width (a URL) is never broken: it sits alone on its line. Lines inside an rST
 * literal block (indented, after a paragraph ending in "::") are left as they are, because
 * re-flowing a configuration snippet would change its meaning.
 */
export function wrapText(text: string, width = 72): string {
  const out: string[] = [];
  let literalIndent: number | undefined;
  let prevEndsLiteral = false;
  for (const line of text.split('\n')) {
    const indent = line.length - line.trimStart().length;
    if (line.trim() === '') {
      out.push('');
      continue;
    }
    if (literalIndent !== undefined && indent >= literalIndent) {
      out.push(line);
      continue;
    }
    literalIndent = undefined;
    if (prevEndsLiteral && indent > 0) {
      literalIndent = indent;
      prevEndsLiteral = false;
      out.push(line);
      continue;
    }
    prevEndsLiteral = line.trimEnd().endsWith('::');
    out.push(...wrapLine(line.trimEnd(), width));
  }
  return out.join('\n');
}

function wrapLine(line: string, width: number): string[] {
  if (line.length <= width) return [line];
  const marker = /^(\s*)((?:[-*+]|\d+[.)])\s+)?/.exec(line);
  const lead = (marker?.[1] ?? '') + (marker?.[2] ?? '');
  const hang = ' '.repeat(lead.length);
  const words = line.slice(lead.length).split(/ +/).filter((w) => w !== '');
  const lines: string[] = [];
  let cur = lead;
  let curHasWord = false;
  for (const w of words) {
    if (!curHasWord) {
      cur += w;
      curHasWord = true;
    } else if (cur.length + 1 + w.length <= width) {
      cur += ` ${w}`;
    } else {
      lines.push(cur);
      cur = hang + w;
    }
  }
  lines.push(cur);
  return lines;
}
