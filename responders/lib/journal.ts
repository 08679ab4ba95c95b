import type { Static, TSchema } from '@sinclair/typebox';
import type { StepRun } from '../../src/core/incident.js';
import type { OutputsContract, StepContext } from '../../src/runner/responder.js';

/**
 * Where a journal row says whose outputs it holds and at which version. It rides in the outputs
 * JSON: a row names its responder itself, so a step id of the plan (`cancel-new`), a timer's
 * step (`revoke.grace`) and another incident's runs are all read the same way.
 */
const STAMP = '$contract';

interface Stamp {
  responder: string;
  version: number;
}

/** A responder's outputs: schema, version, and how to read what an older version recorded. */
export function defineOutputs<S extends TSchema>(responder: string, version: number, schema: S, upgrade?: OutputsContract<S>['upgrade']): OutputsContract<S> {
  return { responder, version, schema, ...(upgrade ? { upgrade } : {}) };
}

/** The outputs as the journal row records them: with the contract they follow. */
export function stamped(contract: OutputsContract, outputs: Record<string, unknown>): Record<string, unknown> {
  const stamp: Stamp = { responder: contract.responder, version: contract.version };
  return { ...outputs, [STAMP]: stamp };
}

/**
 * What every successful run of the contract's responder recorded, oldest first, at the
 * contract's version. A row of an older version is upgraded, or the read fails saying why.
 * Rows of other responders, dry runs and runs that did not succeed are not outputs.
 */
export function outputsOf<S extends TSchema>(runs: readonly StepRun[], contract: OutputsContract<S>): Static<S>[] {
  return runs
    .filter((r) => r.status === 'succeeded' && stampOf(r)?.responder === contract.responder)
    .sort((a, b) => (a.finishedAt ?? 0) - (b.finishedAt ?? 0))
    .map((r) => read(r, contract));
}

/** What the latest successful run of the contract's responder in this incident recorded. */
export function lastOutputs<S extends TSchema>(ctx: Pick<StepContext, 'journal'>, contract: OutputsContract<S>): Static<S> | undefined {
  return outputsOf(ctx.journal.runs, contract).at(-1);
}

function stampOf(run: StepRun): Stamp | undefined {
  const s = run.outputs[STAMP] as Stamp | undefined;
  return typeof s?.responder === 'string' && typeof s.version === 'number' ? s : undefined;
}

function read<S extends TSchema>(run: StepRun, contract: OutputsContract<S>): Static<S> {
  const { version } = stampOf(run)!;
  const { [STAMP]: _, ...outputs } = run.outputs;
  if (version === contract.version) return outputs as Static<S>;
  if (version < contract.version && contract.upgrade) return contract.upgrade(outputs, version);
  throw new Error(
    `step ${run.step} of incident ${run.incidentId} recorded ${contract.responder} outputs of version ${version}, and this release reads version ${contract.version}${version < contract.version ? ' with no upgrade from it' : ' only (a newer release wrote them)'}; finish the incident with the release that started it, or abort it`,
  );
}
