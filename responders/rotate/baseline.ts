import type { StepContext } from '../../src/runner/responder.js';
import { credentialOf } from '../lib/context.js';
import { outputsOf } from '../lib/journal.js';
import { rotateOutputs } from './outputs.js';

/** What a new key gets, and where that came from (said on the timeline). */
export interface ResolvedBaseline {
  permissions: Record<string, string[]>;
  ips: string[];
  source: string;
}

/**
 * The credential's baseline (DESIGN.md): the config's, else the last state LeakGuard saw before
 * this incident (what an earlier incident gave the key it made, or the target it read when it
 * opened), else the rotate step's `permissions`. Never the live leaked key: a leaked Bybit key
 * can change its own settings. Undefined when none is known.
 */
export async function findBaseline(ctx: StepContext, fallback?: Record<string, string[]>): Promise<ResolvedBaseline | undefined> {
  const credential = credentialOf(ctx);
  if (credential.baseline) return { ...credential.baseline, source: `the config (credentials[${credential.id}].baseline)` };
  for (const past of await ctx.history()) {
    if (past.incident.openedAt >= ctx.incident.openedAt) continue;
    const made = outputsOf(past.runs, rotateOutputs).at(-1)?.baseline;
    if (made) return { permissions: made.permissions, ips: made.ips, source: `the key incident ${past.incident.id} made` };
    const t = past.incident.target;
    if (t?.permissions && Object.keys(t.permissions).length) return { permissions: t.permissions, ips: t.ips ?? [], source: `key ${t.keyHint} as incident ${past.incident.id} read it` };
  }
  if (fallback) return { permissions: fallback, ips: [], source: "the rotate step's params.permissions (no IPs known: the key is unbound)" };
  return undefined;
}

/** The baseline, or an error that says how to give one. */
export async function baselineOf(ctx: StepContext, fallback?: Record<string, string[]>): Promise<ResolvedBaseline> {
  const found = await findBaseline(ctx, fallback);
  if (found) return found;
  const { id } = credentialOf(ctx);
  throw new Error(
    `credential ${id} has no baseline for the new key's permissions and IPs, and no earlier incident recorded them; LeakGuard never copies them from the leaked key (it may have been changed): set credentials[].baseline (permissions, ips) for ${id} in the config, or params.permissions on the rotate step, and retry`,
  );
}

/** Withdraw is never granted, whatever a baseline says. */
export function withoutWithdraw(permissions: Record<string, string[]>): Record<string, string[]> {
  return Object.fromEntries(
    Object.entries(permissions)
      .map(([group, perms]): [string, string[]] => [group, perms.filter((p) => !/^withdraw/i.test(p))])
      .filter(([, perms]) => perms.length > 0),
  );
}
