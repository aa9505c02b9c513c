import { parseAdvisory, renderAdvisory } from '../advisories/index.js';

/** Validation errors of an advisory YAML attached to X-ADVISORY, one line each (field, line, problem). */
export function validateAdvisoryYaml(yaml: string): string[] {
  const r = parseAdvisory(yaml);
  return r.ok ? [] : r.errors.map((e) => `${e.path}${e.line ? ` (line ${e.line})` : ''}: ${e.message}`);
}

/**
 * The plain-text mail an advisory YAML renders to: the preview a draft sends to the case, made
 * with the team's templates (`templatesDir`, as publication uses) so reviewers read what will go out.
 */
export function advisoryPreview(yaml: string, templatesDir?: string): string {
  const r = parseAdvisory(yaml);
  return r.ok ? renderAdvisory(r.advisory, 'rst', templatesDir ? { templatesDir } : {}) : '';
}
