import type { Store } from '../../src/store/store.js';
import { outputsOf } from '../lib/journal.js';
import { revokeOutputs } from './outputs.js';

/** Fingerprints of the credential's keys that its incidents proved revoked (the matcher marks a leak of one `revoked`). */
export async function revokedFingerprints(store: Pick<Store, 'listIncidents' | 'listStepRuns'>, credentialId: string): Promise<Set<string>> {
  const out = new Set<string>();
  for (const incident of await store.listIncidents({ credentialId, limit: 100 })) {
    for (const o of outputsOf(await store.listStepRuns(incident.id), revokeOutputs)) if (o.revokedFingerprint) out.add(o.revokedFingerprint);
  }
  return out;
}
