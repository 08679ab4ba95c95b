import type { StepContext } from '../../src/runner/responder.js';
import { alert } from './alert.js';

/**
 * A human task for what the exchange has no API for: the instructions go on the timeline (by
 * the runner) and out as a page, once, when the task is created; the step resumes with the
 * operator's confirmation once it is done.
 */
export async function askHuman(ctx: StepContext, instructions: string): Promise<Record<string, unknown>> {
  try {
    return await ctx.humanTask({ instructions });
  } catch (err) {
    if ((err as Error).name === 'WaitingError') await alert(ctx, 'page', `a person must act: ${instructions}`, { humanTask: ctx.token });
    throw err;
  }
}
