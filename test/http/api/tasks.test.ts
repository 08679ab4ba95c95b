import t from 'tap';
import { eventually } from '../../helpers/runner-child.js';
import { addBinanceCredential } from '../../responders/credentials.js';
import { fastPlan, responderWorld, worldSecrets } from '../../responders/harness.js';
import { apiSection, caller } from './kit.js';

t.setTimeout(120_000);

t.test('a human task completed through the API: the new key goes to the Secrets Manager simulator and appears in no log line, row or response', async (t) => {
  const env = await responderWorld(t, { config: { api: apiSection() } });
  const mismatches: string[] = [];
  const call = caller(env.app, (m) => mismatches.push(m));
  const binance = addBinanceCredential(env);
  const incident = await env.open(fastPlan('emergency'), { credential: binance.credential });
  env.runner.start();
  const task = await eventually(async () => (await env.store.listHumanTasks({ incidentId: incident.id, status: 'open' }))[0], 'the rotate task', 60_000);
  const listed = (await call('viewer', 'GET', `/v1/tasks?status=open&incident=${incident.id}`)).json();
  t.same(listed.items.map((x: { id: string }) => x.id), [task.id]);

  const made = env.world.binance.addKey({ uid: 7001, ips: ['203.0.113.10'] });
  const answers: string[] = [];
  const wrong = await call('operator', 'POST', `/v1/tasks/${task.id}/complete`, { apiKey: made.apiKey, apiSecret: made.secret });
  answers.push(wrong.body);
  t.equal(wrong.statusCode, 400, 'key material under another name is refused');
  t.match(wrong.json().detail, 'it was stored nowhere');
  t.equal((await call('viewer', 'POST', `/v1/tasks/${task.id}/complete`, { api_key: made.apiKey, api_secret: made.secret })).statusCode, 403, 'a viewer cannot');

  const done = await call('operator', 'POST', `/v1/tasks/${task.id}/complete`, { api_key: made.apiKey, api_secret: made.secret }, { 'idempotency-key': 'task-1' });
  answers.push(done.body);
  t.equal(done.statusCode, 200);
  t.match(done.json(), { id: task.id, status: 'done', completedBy: 'user:operator-bot', result: { key: { versionId: task.id, keyHint: `${made.apiKey.slice(0, 4)}…` } } });
  const replay = await call('operator', 'POST', `/v1/tasks/${task.id}/complete`, { api_key: made.apiKey, api_secret: made.secret }, { 'idempotency-key': 'task-1' });
  answers.push(replay.body);
  t.equal(replay.headers['idempotent-replayed'], 'true', 'a retried completion gets the first answer');
  const again = await call('operator', 'POST', `/v1/tasks/${task.id}/complete`, { api_key: made.apiKey, api_secret: made.secret });
  answers.push(again.body);
  t.equal(again.statusCode, 409, 'without the key, a second completion is refused');

  const stored = env.world.secretsManager.secret(binance.credential.secretId)!.versions.find((v) => v.versionId === task.id);
  t.match(JSON.parse(stored!.secretString!), { api_key: made.apiKey, api_secret: made.secret, created_by: 'user:operator-bot' }, 'the key is in Secrets Manager');
  t.match((await env.store.listAudit()).find((a) => a.action === 'human_task.completed'), { actor: 'user:operator-bot', target: incident.id });

  await call('operator', 'POST', `/v1/incidents/${incident.id}/abort`, { reason: 'test over' });
  await env.waitForState(incident.id, ['aborted']);
  const rows = JSON.stringify({
    tasks: await env.store.listHumanTasks({}),
    timeline: await env.store.listTimeline(incident.id),
    runs: await env.store.listStepRuns(incident.id),
    audit: await env.store.listAudit(1000),
    api: [(await call('viewer', 'GET', `/v1/incidents/${incident.id}`)).body, (await call('viewer', 'GET', `/v1/incidents/${incident.id}/timeline`)).body, (await call('viewer', 'GET', '/v1/audit')).body],
  });
  const everywhere = rows + answers.join('\n') + env.log.text();
  for (const secret of [made.apiKey, made.secret, binance.key.secret, ...worldSecrets(env)]) t.notOk(everywhere.includes(secret), 'no key material in rows, answers or the log');
  t.same(mismatches, [], 'answers match their schemas');
});
