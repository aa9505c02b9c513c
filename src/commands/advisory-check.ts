/**
 * Validation of an advisory YAML attached to X-ADVISORY. Until the advisory module lands this
 * only checks that the text parses as a YAML mapping.
 */
import { parseDocument } from 'yaml';

export function validateAdvisoryYaml(yaml: string): string[] {
  const doc = parseDocument(yaml);
  if (doc.errors.length > 0) return doc.errors.map((e) => e.message.split('\n')[0]!);
  const v: unknown = doc.toJS();
  return v && typeof v === 'object' && !Array.isArray(v) ? [] : ['the advisory must be a YAML mapping'];
}
