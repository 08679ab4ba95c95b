import t from 'tap';
import { fingerprint } from '../../src/core/fingerprint.js';
import { IncidentError } from '../../src/incidents/errors.js';
import { eventually } from '../helpers/runner-child.js';
import { WORLD } from '../sim/world.js';
import { addBinanceCredential } from './credentials.js';
import { fastPlan, responderWorld, why, worldSecrets } from './harness.js';

t.setTimeout(120_000);

t.test('Binance (key changes are manual): human tasks with exact instructions; the new key goes straight to Secrets Manager and nowhere else', async (t) => {
  const env = await responderWorld(t);
  const { world } = env;
  const binance = addBinanceCredential(env);
  /** The incident's next open task (one the step opened after the last one was done). */
  const openTask = (id: string) => eventually(async () => (await env.store.listHumanTasks({ incidentId: id, status: 'open' }))[0], `an open task of ${id}`, 60_000);
  const oldHint = `${binance.key.apiKey.slice(0, 4)}…`;

  const incident = await env.open(fastPlan('emergency'), { credential: binance.credential });
  env.runner.start();

  // rotate: a person makes the key.
  const create = await openTask(incident.id);
  t.equal(create.step, 'rotate');
  t.match(create.instructions, `In the binance API management page, create a new API key for credential ${binance.credential.id}`);
  t.match(create.instructions, `the permissions the key starting ${oldHint} had before the incident`);
  t.match(create.instructions, `never withdrawals`);
  t.match(create.instructions, `restricted to these IPs: the IP access list the key starting ${oldHint} had before the incident plus LeakGuard's egress IPs ${WORLD.leakguardIp}`);
  t.match(create.instructions, `complete task ${create.id} with {"api_key": "...", "api_secret": "..."}`);
  t.match(create.instructions, `straight to Secrets Manager (${binance.credential.secretId})`);
  const timeline0 = await env.store.listTimeline(incident.id);
  t.ok(timeline0.some((e) => e.type === 'human_task.created' && e.message === create.instructions), 'the exact instructions are on the timeline');
  await env.clients.slack?.flush();
  t.ok(world.slack.messagesTo(world.slackWebhook).some((m) => m.text?.includes(`a person must act: ${create.instructions}`)), 'and in the alert');

  const made = world.binance.addKey({ uid: 7001, ips: [WORLD.botIp, WORLD.leakguardIp] });
  const material = { api_key: made.apiKey, api_secret: made.secret };
  // The task takes its kind's fields only: key material under another name, or nested, is refused before anything holds it.
  for (const wrong of [
    { apiKey: made.apiKey, apiSecret: made.secret },
    { key: { api_key: made.apiKey, api_secret: made.secret } },
    { ...material, extra: { 'Secret-Key': made.secret } },
  ]) {
    await t.rejects(env.incidents.completeTask(create.id, 'user:ops', wrong), { name: 'IncidentError', message: /got key material in (apiKey, apiSecret|key\.api_key, key\.api_secret|extra\.Secret-Key), which it does not take; it was stored nowhere: it takes api_key, api_secret and optionally note and nothing else, the key in api_key and api_secret/ });
  }
  t.equal(env.scrubber.scrub(`${made.apiKey} ${made.secret}`), '[REDACTED] [REDACTED]', 'and from then on scrubbed everywhere');
  t.equal((await env.store.getHumanTask(create.id))?.status, 'open', 'the task stays open');
  await t.rejects(env.incidents.completeTask(create.id, 'user:ops', { api_key: made.apiKey }), { message: /\/api_secret: Expected required property/ }, 'a key without its secret is refused');
  await t.rejects(env.incidents.completeTask(create.id, 'user:ops', { ...material, colour: 'blue' }), { message: /1 field\(s\) it does not take/ }, 'so is a field the kind does not take');
  const completed = await env.incidents.completeTask(create.id, 'user:ops', material);
  t.same(completed.result, { key: { versionId: create.id, keyHint: `${made.apiKey.slice(0, 4)}…`, fingerprint: fingerprint(made.apiKey) } }, 'the task keeps the hint and fingerprint only');
  const stored = world.secretsManager.secret(binance.credential.secretId)!.versions.find((v) => v.versionId === create.id);
  t.same(JSON.parse(stored!.secretString!), { ...material, api_key_id: made.apiKey, created_at: JSON.parse(stored!.secretString!).created_at, created_by: 'user:ops', rotation_reason: `emergency (incident ${incident.id}), made by a person for task ${create.id}` }, 'the key is in Secrets Manager under the task id');

  // revoke: a person deletes the old key; a confirmation while it still works is not believed.
  const revoke1 = await openTask(incident.id);
  t.equal(revoke1.step, 'revoke');
  t.match(revoke1.instructions, `delete the API key starting with ${oldHint} (credential ${binance.credential.id}), then complete task ${revoke1.id}`);
  for (const wrong of [material, { key: { api_key: made.apiKey, api_secret: made.secret } }, { note: 'done', apiSecret: made.secret }]) {
    await t.rejects(env.incidents.completeTask(revoke1.id, 'user:ops', wrong), { message: new RegExp(`task ${revoke1.id} \\(revoke\\) takes no key, and .* holds key material; it was stored nowhere`) }, 'a task other than rotate takes no key');
  }
  await env.incidents.completeTask(revoke1.id, 'user:ops', {});
  const revoke2 = await openTask(incident.id);
  t.not(revoke2.id, revoke1.id, 'the key still worked: a new task for the next attempt');
  t.match((await env.store.listTimeline(incident.id)).find((e) => e.type === 'step.failed' && e.data.step === 'revoke')?.message, `the key ${oldHint} still works at binance`);
  world.binance.deleteKey(binance.key.apiKey);
  await env.incidents.completeTask(revoke2.id, 'user:ops', { note: 'deleted in the API management page' });
  const done = await env.waitForState(incident.id, ['resolved', 'needs_attention', 'aborted']);
  t.equal(done.state, 'resolved', await why(env, incident.id));

  const versions = world.secretsManager.secret(binance.credential.secretId)!.versions;
  t.equal(versions.find((v) => v.stages.includes('AWSCURRENT'))?.versionId, create.id, "the person's key is AWSCURRENT");
  t.equal(versions.find((v) => v.stages.includes('AWSPREVIOUS'))?.versionId, incident.target?.versionId);
  t.same(
    (await env.store.listTimeline(incident.id)).filter((e) => e.type === 'step.finished').map((e) => e.data.step),
    ['assess', 'rotate', 'verify-pending', 'promote', 'restore', 'verify', 'monitor', 'revoke', 'notify'],
  );

  const rows = JSON.stringify({
    tasks: await env.store.listHumanTasks({ incidentId: incident.id }),
    timeline: await env.store.listTimeline(incident.id),
    runs: await env.store.listStepRuns(incident.id),
    audit: await env.store.listAudit(),
    incident: await env.store.getIncident(incident.id),
  });
  await env.clients.slack?.flush();
  const outside = rows + env.log.text() + JSON.stringify(world.slack.messagesTo(world.slackWebhook)) + JSON.stringify(world.eventBridge.state());
  for (const secret of [made.apiKey, made.secret, binance.key.apiKey, binance.key.secret, ...worldSecrets(env)]) t.notOk(outside.includes(secret), 'no key material in the task rows, the timeline, the journal, the audit, the log or the alerts');
});

t.test('Binance: when the key a person made does not work, the escalation asks a person to delete it; the incident needs attention meanwhile and pages once', async (t) => {
  const env = await responderWorld(t);
  const { world } = env;
  const binance = addBinanceCredential(env);
  const openTask = (id: string) => eventually(async () => (await env.store.listHumanTasks({ incidentId: id, status: 'open' }))[0], `an open task of ${id}`, 60_000);
  const plan = fastPlan('emergency', (p) => {
    const v = p.steps.find((s) => s.id === 'verify-pending')!;
    v.params = { ...v.params, activationWaitMs: 300 };
    v.retries = 0;
  });
  const incident = await env.open(plan, { credential: binance.credential });
  env.runner.start();

  // The person forgets LeakGuard's egress IP: the key works for the bot, not for LeakGuard's check.
  const create = await openTask(incident.id);
  const made = world.binance.addKey({ uid: 7001, ips: [WORLD.botIp] });
  await env.incidents.completeTask(create.id, 'user:ops', { api_key: made.apiKey, api_secret: made.secret });
  const cleanup = await openTask(incident.id);
  t.equal(cleanup.step, 'on-failure.revoke');
  t.match(cleanup.instructions, `delete the API key starting with ${made.apiKey.slice(0, 4)}…`, 'the unused new key, not the old one');
  const parked = await env.waitForState(incident.id, ['needs_attention']);
  t.match((await env.store.listTimeline(incident.id)).filter((e) => e.type === 'incident.state_changed').at(-1)?.message, /verify-pending failed 1 times.*failure step on-failure.revoke waits for a person/, 'needs attention, with the reason and the waiting step');
  t.equal(parked.state, 'needs_attention');
  // Three more claims of the parked incident later (the runner looks at it every poll), the waiting failure step has not been run again, nor has it paged again.
  let looks = 0;
  await new Promise<void>((resolve) => env.hooks.push((e) => void (e.type === 'released' && e.incidentId === incident.id && ++looks === 3 && resolve())));
  const timeline = await env.store.listTimeline(incident.id);
  t.equal(timeline.filter((e) => e.type === 'step.started' && e.data.step === 'on-failure.revoke').length, 1, 'not re-run while the task is open');
  t.equal(timeline.filter((e) => e.type === 'alert' && e.data.humanTask === cleanup.id).length, 1, 'paged once');

  world.binance.deleteKey(made.apiKey);
  await env.incidents.completeTask(cleanup.id, 'user:ops', {});
  await eventually(async () => ((await env.store.listStepRuns(incident.id)).some((r) => r.step === 'on-failure.notify' && r.status === 'succeeded') ? true : undefined), 'the last failure step', 30_000);
  t.same(
    (await env.store.listTimeline(incident.id)).filter((e) => e.type === 'step.finished' || e.type === 'step.failed').map((e) => `${String(e.data.step)}:${String(e.data.status)}`),
    ['assess:succeeded', 'rotate:succeeded', 'verify-pending:failed', 'on-failure.freeze:succeeded', 'on-failure.revoke:succeeded', 'on-failure.notify:succeeded'],
  );
  t.equal((await env.store.getIncident(incident.id))?.state, 'needs_attention');
  const versions = world.secretsManager.secret(binance.credential.secretId)!.versions;
  t.equal(versions.find((v) => v.stages.includes('AWSCURRENT'))?.versionId, incident.target?.versionId, 'the old key stays AWSCURRENT for people to decide');
  t.notOk(versions.some((v) => v.stages.includes('AWSPENDING')), 'the unused key is not left staged');
});
