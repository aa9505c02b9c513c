import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Buffers from this size on are worth a collection of their own once let go (see collectGarbageNow).
 * A 1 MB report's are not: a full collection costs the event loop ~20 ms.
 */
export const COLLECT_AFTER_BYTES = 8 << 20;

let gc: (() => void) | null | undefined;

/**
 * Collects garbage now, on the calling thread; false when the engine does not allow it. For after
 * work that let go of tens of megabytes at once (a 25 MB report's raw, armored and decrypted
 * copies): V8 frees a buffer's memory only when it collects, and it collects for buffers only
 * once ~64 MB more are held than after the last collection, so a large report's copies were
 * still held while its relay was sealed and delivered (peak RSS ~330 MB, issue 16). Node lets a
 * program collect only when started with --expose-gc, which `node bin/vmtd.js` is not: the flag is
 * set now, and `gc` taken from a new context, which is where V8 exposes it.
 */
export function collectGarbageNow(): boolean {
  if (gc === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      const exposed: unknown = runInNewContext('typeof gc === "function" ? gc : null');
      gc = typeof exposed === 'function' ? (exposed as () => void) : null;
    } catch {
      gc = null;
    }
  }
  if (!gc) return false;
  gc();
  return true;
}
