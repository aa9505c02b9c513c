import { readFileSync } from 'node:fs';
import { parseAdvisory, publicBaseUrl, renderAdvisory, teamPublisher, type AdvisoryFormat, type CsafOptions } from '../advisories/index.js';
import { loadConfig } from '../config/load.js';
import { instanceTemplates } from '../advisories/templates.js';
import { CliError, EX } from './exit.js';
import type { CliEnv } from './env.js';

const formats: AdvisoryFormat[] = ['rst', 'html', 'osv', 'cve', 'csaf'];

/**
 * `vmtd advisory render FILE --format rst|html|osv|cve|csaf`: validates, then renders to stdout.
 * Works offline, without a config; given `--config`, every format is rendered as publication
 * renders it: the team's templates directory, name and public URL, the CSAF publisher, the CNA.
 */
export async function advisoryCommand(env: CliEnv): Promise<number> {
  const [sub, file] = env.args;
  const format = (env.values.format as string | undefined) ?? 'rst';
  if (sub !== 'render' || !file) throw new CliError('usage: vmtd advisory render FILE --format rst|html|osv|cve|csaf', EX.USAGE);
  if (!formats.includes(format as AdvisoryFormat)) throw new CliError(`--format must be one of ${formats.join(', ')}`, EX.USAGE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, EX.NOINPUT);
  }
  const r = parseAdvisory(text);
  if (!r.ok) {
    throw new CliError(`${file} is not a valid advisory:\n${r.errors.map((e) => `  ${file}:${e.line ?? '?'}: ${e.path}: ${e.message}`).join('\n')}`, EX.DATAERR);
  }
  let opts: CsafOptions = {};
  if (typeof env.values.config === 'string') {
    // As publication renders it: the team's templates, name, public URL, CSAF publisher, CNA.
    const config = loadConfig(env.values.config);
    const { instance, cve } = config;
    opts = {
      templatesDir: instanceTemplates(config).advisory,
      teamName: instance.name,
      siteUrl: publicBaseUrl(instance),
      publisher: teamPublisher(instance),
      ...(cve?.assignerOrgId ? { assignerOrgId: cve.assignerOrgId } : {}),
      ...(cve?.assignerShortName ? { assignerShortName: cve.assignerShortName } : {}),
    };
  }
  env.out(renderAdvisory(r.advisory, format as AdvisoryFormat, opts));
  return EX.OK;
}
