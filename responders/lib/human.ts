import { Type, type TProperties } from '@sinclair/typebox';
import type { HumanTaskKind, StepContext } from '../../src/runner/responder.js';
import { alert } from './alert.js';

/** A kind of human task whose completion carries exactly these fields. */
export function humanTaskKind(name: string, fields: TProperties): HumanTaskKind {
  return { name, fields: Type.Object(fields, { additionalProperties: false }) };
}

/** What a person may say about what they did; free text, so never the place for a key. */
export const NOTE = Type.Optional(Type.String({ maxLength: 2_000, description: 'what was done, in words; never key material' }));

/** "Done": a person did what the instructions say (deleted a key, cancelled orders); LeakGuard then checks it. */
export const DONE = humanTaskKind('done', { note: NOTE });

/**
 * A human task for what the exchange has no API for: the instructions go on the timeline (by
 * the runner) and out as a page, once, when the task is created; the step resumes with the
 * operator's confirmation once it is done.
 */
export async function askHuman(ctx: StepContext, kind: HumanTaskKind, instructions: string): Promise<Record<string, unknown>> {
  try {
    return await ctx.humanTask({ kind, instructions });
  } catch (err) {
    if ((err as Error).name === 'WaitingError') await alert(ctx, 'page', `a person must act: ${instructions}`, { humanTask: ctx.token });
    throw err;
  }
}
