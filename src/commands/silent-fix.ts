/**
 * "No silent fixes" (issue 18): a project marked fixed while its case is not yet public may mean
 * the fix already landed in public (a commit, a release) before the agreed disclosure. Pure: the
 * command path (intake/command-message.ts) sends the letters of compose/silent-fix.ts.
 */
import type { CaseRecord } from '../cases/record.js';
import type { CommandLine } from './grammar.js';

/** A project newly set fixed before disclosure, with the fixed version when the command named one. */
export interface FixBeforeDisclosure {
  projectId: string;
  version: string | null;
}

/** States in which the case is public or over: a fix then is no longer a silent one. */
const AFTER_DISCLOSURE = ['published', 'closed', 'rejected', 'duplicate'];

/**
 * The projects an applied command set to `fixed` (from any other status) while the case was still
 * unpublished. A status already `fixed` is not asked about again, so repeating the command does
 * not repeat the alert. The version is what follows `fixed` on the X-PROJECT-STATUS line
 * (`libfoo fixed 1.2.3`, also `fixed in 1.2.3`). Pure.
 */
export function fixesBeforeDisclosure(before: Pick<CaseRecord, 'state' | 'projects'>, after: Pick<CaseRecord, 'projects'>, lines: readonly CommandLine[]): FixBeforeDisclosure[] {
  if (AFTER_DISCLOSURE.includes(before.state)) return [];
  const out: FixBeforeDisclosure[] = [];
  for (const [id, status] of Object.entries(after.projects)) {
    if (status !== 'fixed' || before.projects[id] === 'fixed') continue;
    let version: string | null = null;
    for (const l of lines) {
      if (l.keyword !== 'PROJECT-STATUS') continue;
      const [pid = '', st = '', ...rest] = l.args.trim().split(/\s+/);
      if (pid.toLowerCase() !== id || st.toLowerCase() !== 'fixed') continue;
      const v = (rest[0]?.toLowerCase() === 'in' ? rest.slice(1) : rest).join(' ');
      version = v || version;
    }
    out.push({ projectId: id, version });
  }
  return out;
}
