import type { Vmtd } from '../context.js';
import { defaultNoticesDir, instanceTemplates, renderTemplateFile } from '../advisories/templates.js';

/** The text of notice template `name` (the team's notices/ directory when it has one, else ours), filled with `data`. */
export function renderNotice(ctx: Pick<Vmtd, 'config'>, name: string, data: object): string {
  return renderTemplateFile(`${name}.txt`, data, instanceTemplates(ctx.config).notices, defaultNoticesDir());
}
