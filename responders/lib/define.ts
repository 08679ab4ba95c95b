import { Kind, Type, TypeRegistry, type Static, type TObject, type TUnsafe } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { Responder, ResponderNeeds, StepContext, StepOutcome, StepPolicy } from '../../src/runner/responder.js';

export interface ResponderDef<P extends TObject> {
  name: string;
  /** The one definition of the params: their type is Static<P>, defaults and limits are in it. */
  params: P;
  policy: StepPolicy;
  needs?: ResponderNeeds | ((params: Static<P>) => ResponderNeeds);
  /** One sentence of what the step would do, for dry runs ("revoke the leaked key …"). */
  plan(ctx: StepContext, params: Static<P>): string;
  run(ctx: StepContext, params: Static<P>): Promise<StepOutcome>;
}

/**
 * A responder whose params are its schema's type with the schema's defaults applied here, for
 * every way the step runs (a timer's params were never checked by a playbook load); and with the
 * dry-run rule built in: in a dry run it records what it would do and calls nothing outside,
 * so every system's state is left as it was.
 */
export function defineResponder<P extends TObject>(def: ResponderDef<P>): Responder<Static<P>> {
  return {
    name: def.name,
    params: def.params,
    policy: def.policy,
    ...(def.needs ? { needs: def.needs } : {}),
    async run(ctx, raw) {
      const params = paramsOf(def, raw);
      if (!ctx.dryRun) return def.run(ctx, params);
      const would = def.plan(ctx, params);
      await ctx.note('step.would', `would ${would}`);
      return { status: 'succeeded', outputs: { dryRun: true, would }, message: `dry run: would ${would}` };
    },
  };
}

/** The params with their defaults, or an error naming what is wrong. */
function paramsOf<P extends TObject>(def: ResponderDef<P>, raw: unknown): Static<P> {
  const params = Value.Default(def.params, structuredClone(raw ?? {}));
  if (Value.Check(def.params, params)) return params;
  const why = [...Value.Errors(def.params, params)].map((e) => `${e.path || '/'} ${Array.isArray(e.schema.enum) ? `must be one of ${e.schema.enum.join(', ')}` : e.message}`).join('; ');
  throw new Error(`params for ${def.name} are invalid: ${why}`);
}

/** A duration in ms with its default. */
export const ms = (defaultMs: number, minimum = 0) => Type.Integer({ minimum, default: defaultMs });

TypeRegistry.Set<{ enum: string[] }>('StringEnum', (schema, value) => typeof value === 'string' && schema.enum.includes(value));

/** One of some strings, as a JSON-schema `enum` (so a bad value is named as such) with its TypeScript type. */
export function StringEnum<const T extends string>(values: readonly T[], options: { default?: NoInfer<T>; description?: string } = {}): TUnsafe<T> {
  return Type.Unsafe<T>({ [Kind]: 'StringEnum', type: 'string', enum: [...values], ...options });
}
