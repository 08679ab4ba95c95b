import type { Responder, StepContext, StepOutcome } from '../../src/runner/responder.js';

export interface ResponderDef<P> {
  name: string;
  params: Record<string, unknown>;
  /** One sentence of what the step would do, for dry runs ("revoke the leaked key …"). */
  plan(ctx: StepContext, params: P): string;
  run(ctx: StepContext, params: P): Promise<StepOutcome>;
}

/**
 * A responder with the dry-run rule built in: in a dry run it records what it would do and
 * calls nothing outside, so every system's state is left as it was.
 */
export function defineResponder<P>(def: ResponderDef<P>): Responder<P> {
  return {
    name: def.name,
    params: def.params,
    async run(ctx, params) {
      if (!ctx.dryRun) return def.run(ctx, params);
      const would = def.plan(ctx, params);
      await ctx.note('step.would', `would ${would}`);
      return { status: 'succeeded', outputs: { dryRun: true, would }, message: `dry run: would ${would}` };
    },
  };
}

/** JSON-schema shorthands for params. */
export const schema = {
  object(properties: Record<string, unknown>, required: string[] = []) {
    return { type: 'object', properties, required, additionalProperties: false };
  },
  ms(defaultMs: number, minimum = 0) {
    return { type: 'integer', minimum, default: defaultMs };
  },
};
