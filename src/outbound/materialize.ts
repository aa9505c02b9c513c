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
  const armored = armorCopy(row.keyPacket, payloadData(db, row.payloadId)).replace(/\n/g, '\r\n').trimEnd();
  const raw = row.raw.toString('latin1');
  const at = raw.indexOf(ARMOR_SLOT);
  if (at < 0) return row.raw;
  return Buffer.concat([Buffer.from(raw.slice(0, at), 'latin1'), Buffer.from(armored, 'latin1'), Buffer.from(raw.slice(at + ARMOR_SLOT.length), 'latin1')]);
}
