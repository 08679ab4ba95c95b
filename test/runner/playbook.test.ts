import t from 'tap';
import { batches, buildPlan, validatePlan } from '../../src/runner/playbook.js';
import { recordingResponders } from './fixtures/responders.js';

const responders = recordingResponders('/nonexistent');

t.test('buildPlan fills defaults and gives a repeated step its own id', async (t) => {
  const plan = buildPlan('break-glass', [
    { step: 'record', params: { effect: 'cancel' } },
    { step: 'record', params: { effect: 'cancel again' }, retries: 0 },
  ]);
  t.same(plan.steps.map((s) => [s.id, s.retries, s.timeoutMs]), [
    ['record', 2, 60_000],
    ['record#2', 0, 60_000],
  ]);
  t.same(validatePlan(plan, responders), []);
});

t.test('validatePlan names every problem before anything runs', async (t) => {
  const plan = buildPlan('emergency', [
    { step: 'record', params: {} },
    { step: 'nope' },
    { id: 'x', step: 'record', params: { effect: 'a' }, group: 'g' },
    { id: 'y', step: 'record', params: { effect: 'b' } },
    { id: 'x', step: 'record', params: { effect: 'c' }, group: 'g' },
  ]);
  const errors = validatePlan(plan, responders);
  t.match(errors.join('\n'), /step record: params for record are invalid: \/ must have required property 'effect'/);
  t.match(errors.join('\n'), /no responder named nope \(known: record\)/);
  t.match(errors.join('\n'), /step id x appears twice/);
  t.match(errors.join('\n'), /group g is split/);
  t.same(validatePlan({ playbook: 'emergency', steps: [] }, responders), ['the playbook has no steps']);
});

t.test('adjacent steps of a group form one batch', async (t) => {
  const plan = buildPlan('break-glass', [{ step: 'freeze', group: 'contain' }, { step: 'cancel', group: 'contain' }, { step: 'revoke' }, { step: 'rotate' }]);
  t.same(batches(plan).map((b) => b.map((s) => s.id)), [['freeze', 'cancel'], ['revoke'], ['rotate']]);
});
