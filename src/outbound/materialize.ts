import { ARMOR_SLOT } from '../mail/compose.js';
import { armorCopy } from '../pgp/encode.js';
import type { OutboxRow } from '../store/outbox.js';

/**
 * The exact bytes to hand to the transport for a queued mail, as pieces in order: as composed, or,
 * for a relay whose encrypted data is shared, with the recipient's armored copy put in its slot.
 * `payload` gives a payload row's shared encrypted data. Deterministic, so a re-send after a crash
 * is byte-identical.
 */
export async function materialize(row: OutboxRow, payload: (id: number) => Promise<Buffer>): Promise<Buffer[]> {
  if (row.payloadId === null || !row.keyPacket) return [row.raw];
  const at = row.raw.indexOf(ARMOR_SLOT);
  if (at < 0) return [row.raw];
  const armored = await armorCopy(row.keyPacket, await payload(row.payloadId), '\r\n');
  // The slot stands on its own line, followed by CRLF: the armor brings its own line end.
  const last = armored.pop()!;
  return [row.raw.subarray(0, at), ...armored, last.subarray(0, last.length - 2), row.raw.subarray(at + ARMOR_SLOT.length)];
}
