import type { Clock } from '../core/clock.js';
import type { Credential } from '../core/credential.js';
import { keyHint } from '../core/fingerprint.js';
import type { Incidents } from '../incidents/incidents.js';
import type { LeakGuardClients } from '../integrations/clients.js';
import type { Plan } from '../runner/playbook.js';
import type { RunnerLogger } from '../runner/responder.js';
import type { Store } from '../store/store.js';
import type { PeriodicJob } from './periodic.js';

export const ROTATION_CHECK_WORK = 'rotation-check';
const DAY_MS = 86_400_000;
/** A key the exchange will expire (Bybit: unbound, or after a password change) is rotated this long before. */
export const EXPIRY_MARGIN_MS = 3 * DAY_MS;

/** How old the credential's current key is, and where that was read. */
export interface KeyAge {
  createdAt: number | null;
  expiresAt: number | null;
  source: 'exchange' | 'secret version';
}

/** Why the key must be rotated now, or undefined while it may stay. */
export function dueReason(credential: Credential, age: KeyAge, now: number): string | undefined {
  if (age.expiresAt !== null && age.expiresAt - now <= EXPIRY_MARGIN_MS) return `the exchange expires the key at ${new Date(age.expiresAt).toISOString()}`;
  if (age.createdAt === null) return undefined;
  const days = Math.floor((now - age.createdAt) / DAY_MS);
  return days >= credential.rotationDays ? `the key is ${days} days old (${age.source}), rotationDays is ${credential.rotationDays}` : undefined;
}

/**
 * The current key's age: from the exchange where it tells (Bybit's createdAt and expiredAt),
 * else from the AWSCURRENT version's date (which any PutSecretValue resets).
 */
export async function keyAge(credential: Credential, clients: Pick<LeakGuardClients, 'secrets' | 'exchanges'>, signal?: AbortSignal): Promise<KeyAge & { keyHint: string }> {
  const current = await clients.secrets.readKey(credential.secretId, {}, signal);
  const exchange = clients.exchanges.exchangeFor(credential);
  if (exchange.capabilities.queryKey === 'api') {
    const info = await exchange.describeKey(current.material, { ...(signal ? { signal } : {}) });
    if (info.createdAt != null) return { createdAt: info.createdAt, expiresAt: info.expiresAt, source: 'exchange', keyHint: keyHint(info.keyId) };
  }
  const version = await clients.secrets.findVersion(credential.secretId, current.versionId, signal);
  return { createdAt: version?.createdAt ?? null, expiresAt: null, source: 'secret version', keyHint: keyHint(current.material.apiKey) };
}

/**
 * The scheduled-rotation check: every credential without an active incident whose key is due
 * gets the scheduled playbook through the incident service (one active incident per credential:
 * a second replica's check attaches nothing new). A credential that cannot be read fails the
 * pass after the others were looked at, so the queue retries it and an operator sees it.
 */
export function rotationCheckJob(deps: {
  credentials: readonly Credential[];
  clients: Pick<LeakGuardClients, 'secrets' | 'exchanges'>;
  incidents: Pick<Incidents, 'open'>;
  store: Store;
  clock: Clock;
  logger: RunnerLogger;
  plan: () => Plan;
  everyMinutes: number;
}): PeriodicJob {
  return {
    kind: ROTATION_CHECK_WORK,
    everyMs: deps.everyMinutes * 60_000,
    run: async (_periodStart, signal) => {
      const failed: string[] = [];
      for (const credential of deps.credentials) {
        try {
          if (await deps.store.getActiveIncident(credential.id)) continue;
          const age = await keyAge(credential, deps.clients, signal);
          const reason = dueReason(credential, age, deps.clock.now());
          if (!reason) continue;
          const { created } = await deps.incidents.open({ credential, plan: deps.plan(), reason: `scheduled rotation: ${reason}`, actor: 'system:schedule' }, signal);
          if (created) deps.logger.info({ credential: credential.id, keyHint: age.keyHint }, `scheduled rotation of ${credential.id}: ${reason}`);
        } catch (err) {
          deps.logger.warn({ err, credential: credential.id }, `could not check the key age of ${credential.id}; the check is retried`);
          failed.push(`${credential.id}: ${(err as Error).message}`);
        }
      }
      if (failed.length) throw new Error(`the scheduled-rotation check could not read ${failed.length} credential(s): ${failed.join('; ')}`);
    },
  };
}
