import t from 'tap';
import { PLAYBOOKS } from '../../src/core/incident.js';
import { validatePlan } from '../../src/runner/playbook.js';
import { checkPlaybooks, playbookPlan } from '../../responders/playbooks.js';
import { responders } from '../../responders/registry.js';

t.test('every default playbook is valid against the responders', async (t) => {
  t.same(checkPlaybooks({}, responders), []);
  for (const name of PLAYBOOKS) t.same(validatePlan(playbookPlan(name), responders), [], name);
});

t.test("the runbook's time budgets and the playbooks' shapes", async (t) => {
  const bg = playbookPlan('break-glass');
  const budget = (id: string) => bg.steps.find((s) => s.id === id)?.timeoutMs;
  t.same([budget('freeze'), budget('cancel-new'), budget('revoke'), budget('rotate'), budget('restore')], [30_000, 60_000, 60_000, 120_000, 300_000]);
  t.equal(budget('cancel'), 2_000, "the pass before the revoke has 2 s, not the runbook's 60: the revoke waits for it");
  t.equal(bg.steps.find((s) => s.id === 'cancel')?.retries, 0, 'and is not retried');
  t.same(bg.steps.map((s) => `${s.id}${s.group ? `@${s.group}` : ''}`), ['freeze@contain', 'cancel@contain', 'revoke@contain', 'rotate', 'promote', 'cancel-new', 'restore', 'verify', 'notify']);
  t.same(bg.steps.find((s) => s.id === 'cancel-new')?.params, { key: 'new' });
  t.same(bg.steps.find((s) => s.id === 'cancel')?.params, { key: 'target', untilNoneOpen: false }, 'one pass with the leaked key before it is revoked');
  const em = playbookPlan('emergency');
  t.same(em.steps.map((s) => s.id), ['assess', 'rotate', 'verify-pending', 'promote', 'restore', 'verify', 'monitor', 'revoke', 'notify']);
  t.same(em.onFailure?.map((s) => s.step), ['freeze', 'revoke', 'notify'], 'emergency escalates: freeze, delete the unused new key, page');
  t.same(em.steps.find((s) => s.id === 'monitor')?.params, { windowMs: 120_000 });
  t.equal(playbookPlan('scheduled').steps.at(-2)?.params.afterMs, 86_400_000, 'scheduled revokes the old key after a 24 h grace period');
});

t.test('config overrides replace the steps; unset budgets come from the responder defaults', async (t) => {
  const plan = playbookPlan('break-glass', { 'break-glass': { steps: [{ step: 'freeze', params: {} }, { step: 'notify', params: {}, timeoutMs: 5_000 }] } });
  t.same(plan.steps.map((s) => [s.id, s.timeoutMs, s.retries]), [
    ['freeze', 30_000, 2],
    ['notify', 5_000, 2],
  ]);
});

t.test('bad params and unknown playbooks are reported when the config loads, as sentences', async (t) => {
  const errors = checkPlaybooks({ emergency: { steps: [{ step: 'monitor', params: { windowMs: -1 } }, { step: 'cancel', params: { key: 'nobody' } }] }, panic: { steps: [{ step: 'freeze', params: {} }] } }, responders);
  t.match(errors.join('\n'), /playbooks\.panic: no such playbook/);
  t.match(errors.join('\n'), /playbooks\.emergency: step monitor: params for monitor are invalid: \/windowMs must be >= 1/);
  t.match(errors.join('\n'), /playbooks\.emergency: step cancel: params for cancel are invalid: \/key must be equal to one of the allowed values/);
});

t.test('playbook policy is data of the playbooks: which playbooks suspect their target, when restore waits for approval', async (t) => {
  t.same(playbookPlan('rollback').steps.find((s) => s.step === 'promote')?.params.suspecting, ['break-glass', 'emergency', 'offboarding', 'lockdown'], "a rollback may return to a scheduled rotation's or a rollback's key");
  t.equal(playbookPlan('break-glass').steps.find((s) => s.id === 'restore')?.params.approveForeignOrders, true, 'break-glass waits for approval when someone else traded after the revoke');
});
