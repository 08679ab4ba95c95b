import type { Credential } from '../../src/core/credential.js';
import type { IncidentTarget } from '../../src/core/incident.js';
import type { Clients, StepContext } from '../../src/runner/responder.js';

/**
 * What every responder needs from its context, or an error that says what is missing:
 * a step that cannot act must fail loudly, never guess.
 */
export function client<K extends 'secrets' | 'cloudtrail' | 'workload' | 'externalSecrets' | 'exchanges' | 'masterKey' | 'egressIps'>(ctx: StepContext, name: K): NonNullable<Clients[K]> {
  const c = ctx.clients[name];
  if (c === undefined) throw new Error(`LeakGuard was started without the ${name} client; start it with createClients (src/integrations/clients.ts)`);
  return c as NonNullable<Clients[K]>;
}

export function credentialOf(ctx: StepContext): Credential {
  if (!ctx.credential) throw new Error(`credential ${ctx.incident.credentialId} is not in the config; add it (or restore it) and retry the incident`);
  return ctx.credential;
}

/** The key the incident opened for, read while it still worked; steps never re-read AWSCURRENT. */
export function targetOf(ctx: StepContext): IncidentTarget & { versionId: string } {
  const t = ctx.incident.target;
  if (!t?.versionId) throw new Error('the incident recorded no target key version; open incidents through openIncident so the target is read while the key still works');
  return t as IncidentTarget & { versionId: string };
}

export function exchangeOf(ctx: StepContext) {
  return client(ctx, 'exchanges').exchangeFor(credentialOf(ctx));
}

export function scopeOf(credential: Credential) {
  return { categories: credential.trades.categories, settleCoins: credential.trades.settleCoins ?? [], symbols: credential.trades.symbols ?? [] };
}

/** The signal plus the context's form every client call takes. */
export function callCtx(ctx: StepContext) {
  return { signal: ctx.signal };
}
