import type { Vmtd } from '../context.js';

export interface TickSummary {
  at: string;
  due: number;
}

/** One planner pass at ctx.clock(): queues everything due. (Filled in by the scheduler work.) */
export async function runPlanner(ctx: Vmtd): Promise<TickSummary> {
  return { at: ctx.clock().toISOString(), due: 0 };
}
