import type { Clock } from '../core/clock.js';
import type { Credential } from '../core/credential.js';
import { isActive, type Actor, type PlaybookName } from '../core/incident.js';
import type { WorkHandler } from '../queue/worker.js';
import type { Plan } from '../runner/playbook.js';
import type { Store } from '../store/store.js';
import type { OpenIncidentRequest } from './open-incident.js';

/** The work kind of a bulk rotation: one durable item per request, run until each credential's rotation has ended. */
export const ROTATIONS_WORK = 'rotations.batch';

export interface RotationBatch {
  batchId: string;
  credentialIds: string[];
  playbook: PlaybookName;
  maxConcurrent: number;
  actor: Actor;
  reason: string;
}

export interface RotationsDeps {
  store: Store;
  clock: Clock;
  credentials: (credentialId: string) => Credential | undefined;
  plan: (playbook: PlaybookName) => Plan;
  open: (req: OpenIncidentRequest) => Promise<unknown>;
  /** How soon the batch looks again whether one of its rotations has ended. */
  pollMs: number;
}

/** The tag in the reason of every incident a batch opened: how the batch finds its own again after a restart. */
const tag = (batchId: string) => `(rotation batch ${batchId})`;

/**
 * Runs a bulk rotation (the runbook's "force rotation for all prod secrets") with at most
 * `maxConcurrent` of its rotations active at once: opens the next ones as earlier ones end.
 * What it opened is read back from the store each time, so a crash neither skips nor repeats
 * a credential. A credential that already has an active incident is left to it.
 */
export function rotationsHandler(deps: RotationsDeps): WorkHandler {
  return {
    async run(item) {
      const batch = item.payload as unknown as RotationBatch;
      const ours = tag(batch.batchId);
      let active = 0;
      const waiting: Credential[] = [];
      for (const id of batch.credentialIds) {
        const incidents = await deps.store.listIncidents({ credentialId: id, since: item.createdAt, limit: 50 });
        const mine = incidents.find((i) => i.reason.endsWith(ours));
        if (mine) {
          if (isActive(mine.state)) active++;
          continue;
        }
        const credential = deps.credentials(id);
        // Removed from the config since the request, or busy with another incident: nothing of ours to run.
        if (!credential || incidents.some((i) => isActive(i.state))) continue;
        waiting.push(credential);
      }
      for (const credential of waiting.slice(0, Math.max(0, batch.maxConcurrent - active))) {
        await deps.open({ credential, plan: deps.plan(batch.playbook), reason: `${batch.reason} ${ours}`, actor: batch.actor });
        active++;
      }
      return active === 0 ? 'done' : { retryAt: deps.clock.now() + deps.pollMs };
    },
  };
}
