import { ARMOR_SLOT } from '../mail/compose.js';
import { armorCopy } from '../pgp/encode.js';
import type { Db } from '../store/db.js';
import { payloadData, type OutboxRow } from '../store/outbox.js';

/**
 * The exact bytes to hand to the transport for a queued mail: as composed, or, for a relay whose
 * encrypted data is shared, with the recipient's armored copy put in its slot. Deterministic, so a
 * re-send after a crash is byte-identical.
 */
export function materialize(db: Db, row: OutboxRow): Buffer {
  if (row.payloadId === null || !row.keyPacket) return row.raw;
  const at = row.raw.indexOf(ARMOR_SLOT);
  if (at < 0) return row.raw;
  const armored = armorCopy(row.keyPacket, payloadData(db, row.payloadId), '\r\n');
  // The slot stands on its own line, followed by CRLF: the armor brings its own line end.
  return Buffer.concat([row.raw.subarray(0, at), armored.subarray(0, armored.length - 2), row.raw.subarray(at + ARMOR_SLOT.length)]);
}
