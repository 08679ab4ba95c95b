import { Kind, Type, TypeRegistry, type Static, type TObject, type TSchema, type TUnsafe } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { HumanTaskKind, OutputsContract, Responder, ResponderNeeds, StepContext, StepPolicy } from '../../src/runner/responder.js';
import { stamped } from './journal.js';

/** A step's result, with the outputs its contract promises when it succeeded. */
export type Outcome<O> = { status: 'succeeded'; outputs: O; message?: string } | { status: 'failed' | 'skipped'; outputs?: Record<string, unknown>; message?: string };

export interface ResponderDef<P extends TObject, O extends TSchema> {
  name: string;
  /** The one definition of the params: their type is Static<P>, defaults and limits are in it. */
  params: P;
  /** What a successful run records for later steps (responders/<name>/outputs.ts, so readers import no responder). */
  outputs: OutputsContract<O>;
  policy: StepPolicy;
  needs?: ResponderNeeds | ((params: Static<P>) => ResponderNeeds);
  /** The kinds of human task it opens (responders/lib/human.ts). */
  tasks?: readonly HumanTaskKind[];
  /** It never touches the target key: it starts while the target is still being read (see Responder). */
  beforeTarget?: true;
  /** One sentence of what the step would do, for dry runs ("revoke the leaked key …"). */
  plan(ctx: StepContext, params: Static<P>): string;
  run(ctx: StepContext, params: Static<P>): Promise<Outcome<Static<O>>>;
}

/**
 * A responder whose params are its schema's type with the schema's defaults applied here, for
 * every way the step runs (a timer's params were never checked by a playbook load); and with the
 * dry-run rule built in: in a dry run it records what it would do and calls nothing outside,
 * so every system's state is left as it was.
 */
export function defineResponder<P extends TObject, O extends TSchema>(def: ResponderDef<P, O>): Responder<Static<P>> & { outputs: OutputsContract<O>; policy: StepPolicy } {
  if (def.outputs.responder !== def.name) throw new Error(`responder ${def.name} declares the outputs of ${def.outputs.responder}`);
  return {
    name: def.name,
    params: def.params,
    outputs: def.outputs,
    policy: def.policy,
    ...(def.needs ? { needs: def.needs } : {}),
    ...(def.tasks ? { tasks: def.tasks } : {}),
    ...(def.beforeTarget ? { beforeTarget: true as const } : {}),
    async run(ctx, raw) {
      const params = paramsOf(def, raw);
      if (!ctx.dryRun) return checked(def.outputs, await def.run(ctx, params));
      const would = def.plan(ctx, params);
      await ctx.note('step.would', `would ${would}`);
      return { status: 'succeeded', outputs: { dryRun: true, would }, message: `dry run: would ${would}` };
    },
  };
}

/** A success records exactly what the contract promises its readers, and says which contract; anything else is a bug, named. */
function checked<O extends TSchema>(contract: OutputsContract<O>, outcome: Outcome<Static<O>>) {
  if (outcome.status !== 'succeeded') return outcome;
  if (!Value.Check(contract.schema, outcome.outputs)) throw new Error(`${contract.responder} recorded outputs its contract does not allow: ${problems(contract.schema, outcome.outputs)}`);
  return { ...outcome, outputs: stamped(contract, outcome.outputs as Record<string, unknown>) };
}

/** The params with their defaults, or an error naming what is wrong. */
function paramsOf<P extends TObject>(def: ResponderDef<P, TSchema>, raw: unknown): Static<P> {
  const params = Value.Default(def.params, structuredClone(raw ?? {}));
  if (Value.Check(def.params, params)) return params;
  throw new Error(`params for ${def.name} are invalid: ${problems(def.params, params)}`);
}

function problems(schema: TSchema, value: unknown): string {
  return [...Value.Errors(schema, value)].map((e) => `${e.path || '/'} ${Array.isArray(e.schema.enum) ? `must be one of ${e.schema.enum.join(', ')}` : e.message}`).join('; ');
}

/** A duration in ms with its default. */
export const ms = (defaultMs: number, minimum = 0) => Type.Integer({ minimum, default: defaultMs });

TypeRegistry.Set<{ enum: string[] }>('StringEnum', (schema, value) => typeof value === 'string' && schema.enum.includes(value));

/** One of some strings, as a JSON-schema `enum` (so a bad value is named as such) with its TypeScript type. */
export function StringEnum<const T extends string>(values: readonly T[], options: { default?: NoInfer<T>; description?: string } = {}): TUnsafe<T> {
  return Type.Unsafe<T>({ [Kind]: 'StringEnum', type: 'string', enum: [...values], ...options });
}
