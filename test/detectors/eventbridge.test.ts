import t from 'tap';
import type { Signal } from '../../src/core/signal.js';
import { WORLD } from '../sim/world.js';
import { apiCallEvent, BOT_ROLE, CREDENTIAL, DECOY, eventBridgeSetup, findingEvent, LEAKGUARD_ROLE, post, rotationEvent, type EventBridgeSetup } from '../helpers/eventbridge.js';

const KIND = 'eventbridge.event';

/** Posts events as the API destination does and waits until the queue has run them all. */
async function deliver(s: EventBridgeSetup, events: unknown[]): Promise<Record<string, any>> {
  const before = s.ended.filter((e) => e.item.kind === KIND && e.outcome === 'done').length;
  const a = await post(s.url, JSON.stringify(events.length === 1 ? events[0] : events), { 'x-api-key': s.apiKey });
  if (a.status !== 202) throw new Error(`expected 202, got ${a.status}: ${JSON.stringify(a.body)}`);
  await s.w.ended(KIND, 'done', before + a.body.queued);
  const failed = s.ended.filter((e) => e.item.kind === KIND && e.outcome !== 'done');
  if (failed.length) throw new Error(`queued events failed: ${JSON.stringify(failed.map((f) => f.item.lastError))}`);
  return a.body;
}

const kinds = (signals: Signal[]) => signals.map((x) => x.kind).sort();

t.test('CloudTrail anomalies: each its own kind with its evidence; expected calls give none', async (t) => {
  const s = await eventBridgeSetup(t);
  await deliver(s, [apiCallEvent({ secretId: s.secretArn })]);
  t.same(s.w.signals, [], "the bot's role from its subnet: nothing");

  await deliver(s, [apiCallEvent({ secretId: WORLD.secretId, role: 'arn:aws:iam::123456789012:role/intruder', ip: '10.0.1.30' })]);
  const principal = s.w.signals.find((x) => x.kind === 'aws.secret.unexpected_principal');
  t.match(principal, { credentialId: CREDENTIAL, confidence: 'suspected', source: 'eventbridge', evidence: { role: 'arn:aws:iam::123456789012:role/intruder', sourceIPAddress: '10.0.1.30', secretId: WORLD.secretId, expected: [BOT_ROLE] } });

  await deliver(s, [apiCallEvent({ secretId: s.secretArn, ip: '203.0.113.9' })]);
  t.match(s.w.signals.find((x) => x.kind === 'aws.secret.ip_outside_cidrs'), { credentialId: CREDENTIAL, evidence: { sourceIPAddress: '203.0.113.9', allowed: ['10.0.1.0/24'] } });

  await deliver(s, [apiCallEvent({ secretId: s.secretArn, ip: '203.0.113.9', vpcEndpointId: 'vpce-0a1b2c3d4e5f60718' })]);
  t.equal(s.w.signals.filter((x) => x.kind === 'aws.secret.ip_outside_cidrs').length, 1, 'through an allowed VPC endpoint the IP is not judged');
  await deliver(s, [apiCallEvent({ secretId: s.secretArn, vpcEndpointId: 'vpce-0ffffffffffffffff' })]);
  t.match(s.w.signals.find((x) => x.kind === 'aws.secret.unexpected_vpc_endpoint'), { evidence: { vpcEndpointId: 'vpce-0ffffffffffffffff' } });

  await deliver(s, [apiCallEvent({ eventName: 'PutSecretValue', secretId: s.secretArn })]);
  t.match(s.w.signals.find((x) => x.kind === 'aws.secret.foreign_write'), { evidence: { eventName: 'PutSecretValue', role: BOT_ROLE } });
  const writes = s.w.signals.length;
  await deliver(s, [apiCallEvent({ eventName: 'UpdateSecretVersionStage', secretId: s.secretArn, role: 'arn:aws:iam::123456789012:role/leakguard-rotation' })]);
  t.equal(s.w.signals.length, writes, 'a write by the rotation role is expected');

  await deliver(s, [apiCallEvent({ eventName: 'BatchGetSecretValue', secretId: s.secretArn, role: 'arn:aws:iam::123456789012:role/intruder' })]);
  t.equal(s.w.signals.length, writes, 'BatchGetSecretValue itself is not counted (its per-secret GetSecretValue records are)');
  await deliver(s, [apiCallEvent({ secretId: 'prod/someone-else/secret', role: 'arn:aws:iam::123456789012:role/intruder' })]);
  t.equal(s.w.signals.length, writes, 'a secret that is not ours gives nothing');
  t.notOk(JSON.stringify(await s.ts.store.listSignals({})).includes(s.apiKey), 'the API key is in no signal');
});

t.test('AccessDenied bursts and the read rate: once per window', async (t) => {
  const s = await eventBridgeSetup(t, { expect: { readsPerHour: 3 }, eventbridge: { accessDenied: { count: 3, minutes: 10 } } });
  const denied = () => apiCallEvent({ secretId: s.secretArn, role: 'arn:aws:iam::123456789012:role/intruder', errorCode: 'AccessDenied' });
  await deliver(s, [denied(), denied()]);
  t.equal(s.w.signals.filter((x) => x.kind === 'aws.secret.access_denied_burst').length, 0, 'two refusals are no burst');
  await deliver(s, [denied(), denied()]);
  t.match(s.w.signals.filter((x) => x.kind === 'aws.secret.access_denied_burst'), [{ credentialId: CREDENTIAL, evidence: { count: 3, errorCode: 'AccessDenied' } }], 'the third within 10 min is, and only once');

  await deliver(s, [1, 2, 3].map(() => apiCallEvent({ secretId: s.secretArn })));
  t.equal(s.w.signals.filter((x) => x.kind === 'aws.secret.read_rate').length, 0, 'three reads in the hour are within the threshold');
  await deliver(s, [1, 2].map(() => apiCallEvent({ secretId: s.secretArn })));
  t.match(s.w.signals.filter((x) => x.kind === 'aws.secret.read_rate'), [{ evidence: { reads: 4 } }], 'the fourth is above it, flagged once');
  await s.clock.advance(3_600_000);
  await deliver(s, [1, 2, 3].map(() => apiCallEvent({ secretId: s.secretArn })));
  t.equal(s.w.signals.filter((x) => x.kind === 'aws.secret.read_rate').length, 1, 'a new hour counts afresh');
});

t.test('the baseline learns during its learning period, then flags a new principal, IP and user agent once each', async (t) => {
  // No expected principals or CIDRs: the baseline alone judges.
  const s = await eventBridgeSetup(t, { expect: { principals: [], allowedCidrs: [], vpcEndpoints: [], learningHours: 1 } });
  await deliver(s, [apiCallEvent({ secretId: s.secretArn }), apiCallEvent({ secretId: s.secretArn, ip: '10.0.1.21' })]);
  await s.clock.advance(30 * 60_000);
  await deliver(s, [apiCallEvent({ secretId: s.secretArn, role: 'arn:aws:iam::123456789012:role/ci', userAgent: 'aws-cli/2.15.0' })]);
  t.same(s.w.signals, [], 'nothing is flagged while learning');
  await s.clock.advance(31 * 60_000);
  await deliver(s, [apiCallEvent({ secretId: s.secretArn, ip: '10.0.1.21', role: 'arn:aws:iam::123456789012:role/ci' })]);
  t.same(s.w.signals, [], 'what was learned is not new');
  const odd = { secretId: s.secretArn, role: 'arn:aws:iam::123456789012:role/intruder', ip: '198.51.100.77', userAgent: 'python-requests/2.31' };
  await deliver(s, [apiCallEvent(odd)]);
  t.same(kinds(s.w.signals), ['aws.secret.new_ip', 'aws.secret.new_principal', 'aws.secret.new_user_agent']);
  t.match(s.w.signals.find((x) => x.kind === 'aws.secret.new_principal'), { evidence: { value: 'arn:aws:iam::123456789012:role/intruder' } });
  t.match(s.w.signals.find((x) => x.kind === 'aws.secret.new_ip'), { evidence: { value: '198.51.100.77' } });
  t.match(s.w.signals.find((x) => x.kind === 'aws.secret.new_user_agent'), { evidence: { value: 'python-requests/2.31' } });
  await deliver(s, [apiCallEvent(odd)]);
  t.equal(s.w.signals.length, 3, 'each is flagged once, then part of the baseline');
});

t.test("LeakGuard's own GetSecretValue calls, replayed as CloudTrail events, give no signal; with another request id they do", async (t) => {
  const s = await eventBridgeSetup(t);
  const calls: { requestId: string; at: number }[] = [];
  const stop = s.lg.clients.secrets.observeCalls((c) => c.operation === 'GetSecretValue' && calls.push(c));
  await s.lg.clients.secrets.readKey(WORLD.secretId);
  stop();
  t.equal(calls.length, 1, 'one GetSecretValue made');
  const own = calls[0]!;
  // The call log is written after the answer: wait for the row (not for time).
  while (!(await s.ts.store.getOwnCall(own.requestId))) await new Promise((r) => setImmediate(r));
  const replay = { secretId: WORLD.secretId, role: LEAKGUARD_ROLE, ip: WORLD.leakguardIp, requestID: own.requestId, eventTime: own.at };
  await deliver(s, [apiCallEvent(replay)]);
  t.same(s.w.signals, [], 'its own call: nothing');
  await deliver(s, [apiCallEvent({ ...replay, requestID: '7a1c0c1e-0000-4000-8000-000000000001' })]);
  t.match(s.w.signals.find((x) => x.kind === 'aws.secret.leakguard_identity_misused'), { credentialId: CREDENTIAL, evidence: { role: LEAKGUARD_ROLE, requestID: '7a1c0c1e-0000-4000-8000-000000000001' } });
  await deliver(s, [apiCallEvent({ ...replay, eventTime: own.at + 3 * 3_600_000 })]);
  t.equal(s.w.signals.filter((x) => x.kind === 'aws.secret.leakguard_identity_misused').length, 2, 'its request id at another time is not its call');
});

t.test('a read of a decoy secret is a confirmed signal stored before the answer', async (t) => {
  const s = await eventBridgeSetup(t);
  const event = apiCallEvent({ secretId: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${DECOY}-Ab12Cd`, role: 'arn:aws:iam::123456789012:role/intruder', ip: '198.51.100.7', userAgent: 'aws-cli/2.15.0' });
  const a = await post(s.url, JSON.stringify(event), { 'x-api-key': s.apiKey });
  t.equal(a.status, 202);
  t.equal(a.body.decoyReads, 1);
  const stored = await s.ts.store.listSignals({ credentialId: CREDENTIAL });
  t.match(stored, [{ kind: 'aws.decoy.read', confidence: 'confirmed', evidence: { decoy: DECOY, role: 'arn:aws:iam::123456789012:role/intruder', sourceIPAddress: '198.51.100.7', userAgent: 'aws-cli/2.15.0' } }], 'in the store when the 202 came');
  await post(s.url, JSON.stringify(event), { 'x-api-key': s.apiKey });
  t.equal((await s.ts.store.listSignals({})).filter((x) => x.kind === 'aws.decoy.read').length, 1, 'a redelivery is stored once');
});

t.test('GuardDuty findings at or above the severity that name our principals, once per update', async (t) => {
  const s = await eventBridgeSetup(t, { eventbridge: { guardDuty: { minSeverity: 7 } } });
  await deliver(s, [findingEvent({ id: 'f-low', severity: 5, userName: 'bybit-bot' }), findingEvent({ id: 'f-other', severity: 8, userName: 'someone-else' })]);
  t.same(s.w.signals, [], 'below the severity, or not ours: nothing');
  await deliver(s, [findingEvent({ id: 'f-1', severity: 8, userName: 'bybit-bot', updatedAt: '2026-12-03T10:00:00.000Z' })]);
  t.match(s.w.signals, [{ kind: 'aws.guardduty.finding', credentialId: CREDENTIAL, evidence: { findingId: 'f-1', type: 'CredentialAccess:IAMUser/AnomalousBehavior', severity: 8, userName: 'bybit-bot' } }]);
  await deliver(s, [findingEvent({ id: 'f-1', severity: 8, userName: 'bybit-bot', updatedAt: '2026-12-03T10:00:00.000Z' })]);
  t.equal(s.w.signals.length, 1, 'the same finding again: a duplicate');
  await deliver(s, [findingEvent({ id: 'f-1', severity: 9, userName: 'bybit-bot', updatedAt: '2026-12-03T10:30:00.000Z', count: 4 })]);
  t.match(s.w.signals[1], { evidence: { findingId: 'f-1', severity: 9, count: 4 } }, 'an update of it: a new signal');
  await deliver(s, [findingEvent({ id: 'f-2', severity: 9.5, userName: 'leakguard' })]);
  t.match(s.w.signals[2], { evidence: { findingId: 'f-2', leakguardIdentity: true } }, "a finding on LeakGuard's own role concerns the credential too");
});

t.test('Secrets Manager rotation events: RotationFailed moves the incident to needs_attention; RotationSucceeded refreshes the matcher', async (t) => {
  const s = await eventBridgeSetup(t);
  // Opened without its target: no runner acts on it, so its state is what the event makes it.
  const { incident } = await s.ts.store.openIncident({ id: 'inc-rotation', credentialId: CREDENTIAL, dryRun: false, reason: 'scheduled rotation', target: null, plan: { playbook: 'scheduled', steps: [] } as never, at: s.clock.now() });
  t.equal(incident.state, 'open');
  await deliver(s, [rotationEvent('RotationFailed', s.secretArn)]);
  t.match(s.w.signals, [{ kind: 'aws.secretsmanager.rotation_failed', credentialId: CREDENTIAL, confidence: 'confirmed', evidence: { eventName: 'RotationFailed', secretId: s.secretArn, incidentMovedToNeedsAttention: incident.id } }]);
  const after = await s.ts.store.getIncident(incident.id);
  t.equal(after?.state, 'needs_attention');
  t.match((await s.ts.store.listTimeline(incident.id)).map((e) => e.message).join('\n'), /RotationFailed .*SecretRotationFailed/, 'with the reason on its timeline');

  await deliver(s, [rotationEvent('RotationAbandoned', s.secretArn)]);
  t.match(s.w.signals[1], { kind: 'aws.secretsmanager.rotation_abandoned', evidence: { incidentMovedToNeedsAttention: incident.id } });

  // The matcher knows the current key; a rotation outside LeakGuard moves it to AWSPREVIOUS, which the matcher learns from the event.
  const old = (await s.e2e.clients.secrets.readKey(WORLD.secretId)).material.apiKey;
  await s.lg.matcher.refresh();
  t.match(await s.lg.matcher.match(old), [{ stage: 'AWSCURRENT' }]);
  await s.e2e.clients.secrets.writeKey(WORLD.secretId, '5f0c7c52-1a43-4a55-9d4e-2b0d0c1e0001', { api_key: 'NEWKEY0123456789', api_secret: 'NEWSECRET0123456789abcdef', api_key_id: 'k2', created_at: '', created_by: 'rotation-lambda', rotation_reason: 'scheduled' }, 'AWSCURRENT');
  t.match(await s.lg.matcher.match(old), [{ stage: 'AWSCURRENT' }], 'before the event the matcher still has the old stages');
  await deliver(s, [rotationEvent('RotationSucceeded', s.secretArn)]);
  t.match(s.w.signals[2], { kind: 'aws.secretsmanager.rotation_succeeded', credentialId: CREDENTIAL, evidence: { secretId: s.secretArn } });
  t.match(await s.lg.matcher.match(old), [{ credentialId: CREDENTIAL, stage: 'AWSPREVIOUS' }], 'after it the old key is known as AWSPREVIOUS');
});
