import { readFileSync } from 'node:fs';
import t, { type Test } from 'tap';
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { ManualClock } from '../../src/core/clock.js';
import { EventBridgeSim } from './aws/eventbridge.js';
import { clientConfig, recordWire } from './aws/sdk-test-kit.js';

type Recorded = { 'recorded-content': Record<string, { Entries: Record<string, string>[]; FailedEntryCount: number }> };
const recorded = JSON.parse(
  readFileSync(new URL('../../../shared/fixtures/aws/eventbridge-putevents/localstack-recorded-putevents-responses.json', import.meta.url), 'utf8'),
) as Record<string, Recorded>;
const recordedPut = (test: string) => {
  const content = recorded[`tests/aws/services/events/test_events.py::TestEvents::${test}`]!['recorded-content'];
  return (content['put-events'] ?? content['put-events-response'])!;
};

const START = Date.UTC(2026, 0, 1);
const ok = (n: number): PutEventsRequestEntry => ({
  Source: 'leakguard',
  DetailType: 'Incident Opened',
  Detail: JSON.stringify({ incident: n }),
  EventBusName: 'leakguard-alerts',
});

async function setup(t: Test) {
  const sim = new EventBridgeSim({ clock: new ManualClock(START) });
  const server = await sim.start();
  const client = new EventBridgeClient(clientConfig(server.url));
  t.teardown(async () => {
    client.destroy();
    await server.close();
  });
  return { sim, server, client, wire: recordWire(client) };
}

t.test('PutEvents accepts events and delivers them in the EventBridge envelope', async (t) => {
  const { sim, client, wire } = await setup(t);
  const out = await client.send(
    new PutEventsCommand({ Entries: [ok(1), { ...ok(2), EventBusName: undefined, Time: new Date(START - 5000), Resources: ['arn:x'] }] }),
  );
  t.equal(out.FailedEntryCount, 0);
  t.equal(out.Entries?.length, 2);
  t.same(Object.keys(out.Entries![0]!), Object.keys(recordedPut('test_put_events_with_time_field').Entries[0]!), 'EventId only, as recorded');
  t.same(JSON.parse(wire[0]!.body), { FailedEntryCount: 0, Entries: out.Entries });
  t.same(sim.events, [
    {
      version: '0',
      id: out.Entries![0]!.EventId,
      'detail-type': 'Incident Opened',
      source: 'leakguard',
      account: '111111111111',
      time: '2026-01-01T00:00:00Z',
      region: 'us-east-1',
      resources: [],
      detail: { incident: 1 },
      eventBusName: 'leakguard-alerts',
    },
    {
      version: '0',
      id: out.Entries![1]!.EventId,
      'detail-type': 'Incident Opened',
      source: 'leakguard',
      account: '111111111111',
      time: '2025-12-31T23:59:55Z',
      region: 'us-east-1',
      resources: ['arn:x'],
      detail: { incident: 2 },
      eventBusName: 'default',
    },
  ]);
});

t.test('bad entries fail one by one with HTTP 200 and the recorded codes, in request order', async (t) => {
  const { sim, client, wire } = await setup(t);
  const cases: [PutEventsRequestEntry, string][] = [
    [{ ...ok(1), Source: undefined }, 'test_put_events_without_source'],
    [{ ...ok(2), DetailType: undefined }, 'test_put_event_without_detail_type'],
    [{ ...ok(3), Detail: undefined }, 'test_put_event_without_detail'],
    [{ ...ok(4), Detail: '"a string"' }, 'test_put_event_malformed_detail[STRING]'],
    [{ ...ok(5), Detail: '["an", "array"]' }, 'test_put_event_malformed_detail[ARRAY]'],
    [{ ...ok(6), Detail: '{"broken": ' }, 'test_put_event_malformed_detail[MALFORMED_JSON]'],
    [{ ...ok(7), Detail: JSON.stringify(JSON.stringify({ a: 1 })) }, 'test_put_event_malformed_detail[SERIALIZED_STRING]'],
  ];
  const entries = [ok(0), ...cases.map(([entry]) => entry), ok(8)];
  const out = await client.send(new PutEventsCommand({ Entries: entries }));
  t.equal(wire[0]!.status, 200);
  t.equal(out.FailedEntryCount, cases.length);
  t.same(
    out.Entries!.slice(1, -1),
    cases.map(([, test]) => recordedPut(test).Entries[0]),
  );
  t.ok(out.Entries![0]!.EventId && out.Entries!.at(-1)!.EventId, 'the good entries around them went through');
  t.same(
    sim.events.map((e) => e.detail),
    [{ incident: 0 }, { incident: 8 }],
  );
});

t.test('more than 10 entries, or none, fail the whole call', async (t) => {
  const { sim, client, wire } = await setup(t);
  await t.rejects(client.send(new PutEventsCommand({ Entries: Array.from({ length: 11 }, (_, i) => ok(i)) })), {
    name: 'ValidationException',
    message: /^1 validation error detected: Value .* at 'entries' failed to satisfy constraint: Member must have length less than or equal to 10$/,
    $metadata: { httpStatusCode: 400 },
  });
  t.equal(wire[0]!.headers['x-amzn-errortype'], 'ValidationException');
  await t.rejects(client.send(new PutEventsCommand({ Entries: [] })), {
    name: 'ValidationException',
    message: /Member must have length greater than or equal to 1/,
  });
  t.equal(sim.events.length, 0);
  t.equal((await client.send(new PutEventsCommand({ Entries: Array.from({ length: 10 }, (_, i) => ok(i)) }))).FailedEntryCount, 0);
});

t.test('injected per-entry failures let a client retry only the failed entries', async (t) => {
  const { sim, client } = await setup(t);
  sim.failNextEntries(2, 'ThrottlingException');
  const entries = [ok(1), ok(2), ok(3)];
  const first = await client.send(new PutEventsCommand({ Entries: entries }));
  t.equal(first.FailedEntryCount, 2);
  t.same(first.Entries!.slice(0, 2), [
    { ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' },
    { ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' },
  ]);
  t.ok(first.Entries![2]!.EventId);
  const retry = entries.filter((_, i) => first.Entries![i]!.ErrorCode);
  const second = await client.send(new PutEventsCommand({ Entries: retry }));
  t.equal(second.FailedEntryCount, 0);
  t.same(
    sim.events.map((e) => e.detail),
    [{ incident: 3 }, { incident: 1 }, { incident: 2 }],
  );
});

t.test('per-entry failures can be armed over /_sim by another process', async (t) => {
  const { sim, server, client } = await setup(t);
  const seed = await fetch(`${server.url}/_sim/seed`, {
    method: 'POST',
    body: JSON.stringify({ failNextEntries: { count: 1, errorCode: 'InternalFailure' } }),
  });
  t.equal(seed.status, 200);
  const out = await client.send(new PutEventsCommand({ Entries: [ok(1), ok(2)] }));
  t.same(out.Entries![0], { ErrorCode: 'InternalFailure', ErrorMessage: 'Internal Failure' });
  t.ok(out.Entries![1]!.EventId);
  const state = (await (await fetch(`${server.url}/_sim/state`)).json()) as { events: unknown[] };
  t.same(state.events, JSON.parse(JSON.stringify(sim.events)));
});

t.test('a client with the wrong secret is refused', async (t) => {
  const { sim, server } = await setup(t);
  const config = clientConfig(server.url);
  const wrong = new EventBridgeClient({ ...config, credentials: { ...config.credentials, secretAccessKey: 'nope' } });
  t.teardown(() => wrong.destroy());
  await t.rejects(wrong.send(new PutEventsCommand({ Entries: [ok(1)] })), { name: 'InvalidSignatureException' });
  t.equal(sim.events.length, 0);
});
