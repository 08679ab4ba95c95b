import t, { type Test } from 'tap';
import { ManualClock, systemClock } from '../../src/core/clock.js';
import { Scrubber } from '../../src/core/scrubber.js';
import { CloudTrailLookup } from '../../src/integrations/aws/cloudtrail.js';
import { EventBridgePublisher, type IncidentEvent } from '../../src/integrations/aws/eventbridge.js';
import { CloudTrailSim } from '../sim/aws/cloudtrail.js';
import { EventBridgeSim } from '../sim/aws/eventbridge.js';
import { awsOptions, FAST_POLICY } from '../helpers/aws.js';

const event = (i: number, detail: Record<string, unknown> = {}): IncidentEvent => ({ type: 'stepFinished', incidentId: `inc-${i}`, credentialId: 'bybit-prod', at: Date.UTC(2026, 0, 1), detail: { step: 'freeze', i, ...detail } });

async function eventBridge(t: Test) {
  const sim = new EventBridgeSim({ clock: systemClock });
  const server = await sim.start();
  const scrubber = new Scrubber();
  const pub = new EventBridgePublisher(awsOptions(server.url), 'leakguard-bus', systemClock, scrubber, FAST_POLICY);
  t.teardown(async () => {
    pub.destroy();
    await server.close();
  });
  return { sim, pub, scrubber };
}

t.test('publishes incident events in batches of 10 with source leakguard', async (t) => {
  const { sim, pub } = await eventBridge(t);
  const { eventIds } = await pub.publish(Array.from({ length: 23 }, (_, i) => event(i)));
  t.equal(eventIds.length, 23);
  t.equal(new Set(eventIds).size, 23);
  t.equal(sim.events.length, 23);
  const first = sim.events[0] as unknown as { source: string; 'detail-type': string; detail: Record<string, unknown>; eventBusName: string };
  t.equal(first.source, 'leakguard');
  t.equal(first['detail-type'], 'LeakGuard Step Finished');
  t.match(first.detail, { incidentId: 'inc-0', credentialId: 'bybit-prod', step: 'freeze' });
  t.equal(first.eventBusName, 'leakguard-bus');
  t.same(sim.events.map((e) => (e as unknown as { detail: { i: number } }).detail.i), Array.from({ length: 23 }, (_, i) => i), 'order kept');
});

t.test('on a partial failure only the failed entries are sent again', async (t) => {
  const { sim, pub } = await eventBridge(t);
  sim.failNextEntries(2, 'ThrottlingException');
  const { eventIds } = await pub.publish([event(1), event(2), event(3)]);
  t.equal(eventIds.filter(Boolean).length, 3);
  t.equal(sim.events.length, 3, 'each event delivered once, none twice');
  t.same(sim.events.map((e) => (e as unknown as { detail: { i: number } }).detail.i).sort(), [1, 2, 3]);
  t.equal(sim.faults.calls.filter((c) => c === 'PutEvents').length, 2);
});

t.test('entries that keep failing give a clear error; secrets never reach an event', async (t) => {
  const { sim, pub, scrubber } = await eventBridge(t);
  scrubber.register('SECRET-in-detail-123456');
  sim.failNextEntries(100, 'InternalFailure');
  await t.rejects(pub.publish([event(1, { note: 'SECRET-in-detail-123456' })]), { message: /still failing after 4 attempts/ });
  sim.failNextEntries(0, 'InternalFailure');
  const fresh = await eventBridge(t);
  fresh.scrubber.register('SECRET-in-detail-123456');
  await fresh.pub.publish([event(1, { note: 'key SECRET-in-detail-123456' })]);
  t.notMatch(JSON.stringify(fresh.sim.events), 'SECRET-in-detail-123456');
  t.match(JSON.stringify(fresh.sim.events), '[REDACTED]');
});

t.test('CloudTrail: who read the secret, all pages, one attribute per call, paced to 2 calls/s', async (t) => {
  const start = Date.UTC(2026, 0, 1);
  const clock = new ManualClock(start + 3_600_000);
  const sim = new CloudTrailSim({ clock });
  const server = await sim.start();
  const lookup = new CloudTrailLookup(awsOptions(server.url), clock, FAST_POLICY);
  t.teardown(async () => {
    lookup.destroy();
    await server.close();
  });
  sim.seedEvents(
    Array.from({ length: 120 }, (_, i) => ({
      eventName: 'GetSecretValue',
      eventSource: 'secretsmanager.amazonaws.com',
      eventTime: start + i * 1_000,
      username: i === 119 ? 'attacker' : 'live-trading-bot',
      accessKeyId: 'ASIAEXAMPLEKEY000001',
      sourceIPAddress: i === 119 ? '198.51.100.66' : '10.0.0.5',
      userAgent: 'aws-sdk-python/1.0',
      resources: [{ ResourceType: 'AWS::SecretsManager::Secret', ResourceName: 'prod/bybit/api' }],
      requestParameters: { secretId: 'prod/bybit/api' },
    })),
  );
  sim.seedEvents([{ eventName: 'GetSecretValue', eventSource: 'secretsmanager.amazonaws.com', eventTime: start + 5, resources: [{ ResourceName: 'prod/other' }] }]);
  // Paging needs 3 calls; the pacing waits on the clock: move it only while the lookup waits on it, never during a call.
  let settled = false;
  const p = lookup.secretAccess('prod/bybit/api', { start, end: start + 3_600_000 }).finally(() => (settled = true));
  while (!settled) await (clock.pending > 0 ? clock.advance(500) : new Promise((r) => setImmediate(r)));
  const found = await p;
  t.equal(found.length, 120);
  t.match(found[0], { eventName: 'GetSecretValue', username: 'attacker', sourceIp: '198.51.100.66', userAgent: 'aws-sdk-python/1.0', accessKeyHint: 'ASIA…' });
  t.ok(found.every((f, i) => i === 0 || f.at <= found[i - 1]!.at), 'newest first');
  t.equal(sim.faults.calls.length, 3, 'no call was throttled');
});
