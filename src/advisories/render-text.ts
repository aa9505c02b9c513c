/**
 * The plain-text (reStructuredText) advisory mail: OSSA layout for advisories, OSSN layout for
 * security notes, from templates/advisory/advisory.txt and note.txt.
 */
import { renderTemplateFile } from './templates.js';
import type { Advisory } from './types.js';
import { advisoryView, type RenderOptions } from './view.js';
import { wrapText } from './wrap.js';

/**
 * Renders the mail body. Guarantees: no line longer than 72 columns except a single word that
 * cannot be broken (a long URL) or a line of an rST literal block; no control characters other
 * than newline and tab; ends with exactly one newline.
 */
export function renderText(adv: Advisory, opts: RenderOptions = {}): string {
  const file = adv.kind === 'security-note' ? 'note.txt' : 'advisory.txt';
  const body = renderTemplateFile(file, advisoryView(adv, opts), opts.templatesDir);
  return `${wrapText(body, 72).replace(/\n{3,}/g, '\n\n\n').trim()}\n`;
}
