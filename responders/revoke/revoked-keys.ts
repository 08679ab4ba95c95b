import type { StepRun } from '../../src/core/incident.js';
import { outputsOf } from '../lib/journal.js';
import { revokeOutputs } from './outputs.js';

/**
 * Fingerprints of the keys these step runs (of one or more incidents) proved revoked: what the
 * revoke step recorded, read through its outputs contract. The caller reads the runs; the
 * credential matcher marks a leak of one of these keys `revoked`.
 */
export function revokedFingerprints(runs: readonly StepRun[]): Set<string> {
  const out = new Set<string>();
  for (const o of outputsOf(runs, revokeOutputs)) if (o.revokedFingerprint) out.add(o.revokedFingerprint);
  return out;
}
