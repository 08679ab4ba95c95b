import t from 'tap';
import type { StepRun } from '../../src/core/incident.js';
import { outputsOf } from '../../responders/lib/journal.js';
import { revokeOutputs } from '../../responders/revoke/outputs.js';

const run = (version: number, outputs: Record<string, unknown>): StepRun => ({
  incidentId: 'i-1',
  step: 'revoke',
  attempt: 1,
  status: 'succeeded',
  startedAt: 1,
  finishedAt: 2,
  outputs: { ...outputs, $contract: { responder: 'revoke', version } },
  error: null,
});

t.test('revoke outputs: version 2 records the proof; a version 1 journal (before proofs) still reads', async (t) => {
  t.equal(revokeOutputs.version, 2);
  const v1 = { key: 'target', keyHint: 'abcd…', versionId: 'v-1', alreadyGone: false, revokedFingerprint: 'f' };
  t.same(outputsOf([run(1, v1)], revokeOutputs), [v1], 'read without a proof');
  t.same(outputsOf([run(2, { ...v1, proof: 'listing' })], revokeOutputs), [{ ...v1, proof: 'listing' }]);
});
