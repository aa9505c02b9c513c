import { iso } from '../clock.js';
import type { Vmtd } from '../context.js';
import { calendarCatchUp } from '../compose/calendar.js';
import { calendarsOutOfDate } from '../store/calendar-facts.js';
import { addEvent } from '../store/events.js';
import { claimOnce } from '../store/notices.js';
import { enqueue } from '../store/outbox.js';

/**
 * Brings every standing embargo calendar event in line with its case after a planner pass: the
 * event of a case published on time (by the planner), closed, or whose date changed outside a
 * command is cancelled or updated (compose/calendar.ts calendarCatchUp). Each change is claimed by
 * its case and sequence in the transaction that queues its mail, so it is sent once, also across
 * processes. A case that fails is logged and tried again on the next pass. Returns how many were sent.
 */
export async function syncCalendars(ctx: Omit<Vmtd, 'verpKey' | 'crypto'>): Promise<number> {
  let sent = 0;
  for (const c of calendarsOutOfDate(ctx.db)) {
    try {
      const u = await calendarCatchUp(ctx, c);
      const event = u.event;
      if (!event) continue;
      const at = iso(ctx.clock());
      const claimed = ctx.db
        .transaction(() => {
          if (!claimOnce(ctx.db, `calendar:${c.id}:${event.sequence}`, 'calendar', at)) return false;
          for (const m of u.mails) enqueue(ctx.db, m, at);
          addEvent(ctx.db, c.id, at, 'vmtd', 'calendar', event);
          return true;
        })
        .immediate();
      if (claimed) sent++;
    } catch (err) {
      ctx.log.error({ case: c.id, err: (err as Error)?.message ?? String(err) }, 'calendar update failed; the next pass tries again');
    }
  }
  return sent;
}
