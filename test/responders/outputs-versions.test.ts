import t from 'tap';
import type { StepRun } from '../../src/core/incident.js';
import { outputsOf } from '../../responders/lib/journal.js';
import { revokeOutputs } from '../../responders/revoke/outputs.js';
import { rotateOutputs } from '../../responders/rotate/outputs.js';
import { verifyOutputs } from '../../responders/verify/outputs.js';

const run = (version: number, outputs: Record<string, unknown>, responder = 'revoke'): StepRun => ({
  incidentId: 'i-1',
  step: responder,
  attempt: 1,
  status: 'succeeded',
  startedAt: 1,
  finishedAt: 2,
  outputs: { ...outputs, $contract: { responder, version } },
  error: null,
});

t.test('revoke outputs: version 2 records the proof; a version 1 journal (before proofs) still reads', async (t) => {
  t.equal(revokeOutputs.version, 2);
  const v1 = { key: 'target', keyHint: 'abcd…', versionId: 'v-1', alreadyGone: false, revokedFingerprint: 'f' };
  t.same(outputsOf([run(1, v1)], revokeOutputs), [v1], 'read without a proof');
  t.same(outputsOf([run(2, { ...v1, proof: 'listing' })], revokeOutputs), [{ ...v1, proof: 'listing' }]);
});

t.test('rotate outputs v2 record what the new key got, verify outputs v2 the order test; version 1 journals still read', async (t) => {
  t.equal(rotateOutputs.version, 2);
  t.equal(verifyOutputs.version, 2);
  const rotated = { newVersionId: 'v-2', newKeyHint: 'abcd…', newFingerprint: 'f', stage: 'AWSCURRENT' };
  t.same(outputsOf([run(1, rotated, 'rotate')], rotateOutputs), [rotated]);
  const verified = { key: 'new', checks: ['key'], keyHint: 'abcd…', keyWorks: true, keyTries: 1 };
  t.same(outputsOf([run(1, verified, 'verify')], verifyOutputs), [verified]);
});
