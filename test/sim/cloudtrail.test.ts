import t, { type Test } from 'tap';
import { CloudTrailClient, LookupEventsCommand, type LookupEventsCommandInput } from '@aws-sdk/client-cloudtrail';
import { ManualClock } from '../../src/core/clock.js';
import { CloudTrailSim, type SeedEvent } from './aws/cloudtrail.js';
import { clientConfig, recordWire } from './aws/sdk-test-kit.js';

const NOW = Date.UTC(2026, 0, 10);
const MINUTE = 60_000;
const SECRET = 'prod/bybit/api';

const read = (minutesAgo: number, username = 'bot', extra: Partial<SeedEvent> = {}): SeedEvent => ({
  eventName: 'GetSecretValue',
  eventSource: 'secretsmanager.amazonaws.com',
  eventTime: NOW - minutesAgo * MINUTE,
  username,
  accessKeyId: `AKIA${username.toUpperCase()}`,
  sourceIPAddress: '203.0.113.7',
  userAgent: 'aws-sdk-js/3.0.0',
  requestParameters: { secretId: SECRET },
  resources: [{ ResourceType: 'AWS::SecretsManager::Secret', ResourceName: SECRET }],
  ...extra,
});

async function setup(t: Test) {
  const clock = new ManualClock(NOW);
  const sim = new CloudTrailSim({ clock });
  const server = await sim.start();
  const client = new CloudTrailClient(clientConfig(server.url));
  t.teardown(async () => {
    client.destroy();
    await server.close();
  });
  /** One lookup, then time moves past AWS's 2-per-second limit. */
  const lookup = async (input: LookupEventsCommandInput) => {
    const out = await client.send(new LookupEventsCommand(input));
    await clock.advance(1000);
    return out;
  };
  return { clock, sim, server, client, lookup, wire: recordWire(client) };
}

t.test('LookupEvents returns matching events newest first with the full CloudTrail record', async (t) => {
  const { sim, lookup, wire } = await setup(t);
  const [oldId, , newId] = sim.seedEvents([
    read(30, 'bot'),
    { ...read(20, 'admin'), eventName: 'PutSecretValue', readOnly: false },
    read(10, 'mallory', { sourceIPAddress: '198.51.100.66', userAgent: 'curl/8.0' }),
  ]);
  const out = await lookup({ LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'GetSecretValue' }] });
  t.same(out.Events?.map((e) => e.EventId), [newId, oldId]);
  const [event] = out.Events!;
  t.same(
    { ...event, CloudTrailEvent: undefined },
    {
      EventId: newId,
      EventName: 'GetSecretValue',
      ReadOnly: 'true',
      AccessKeyId: 'AKIAMALLORY',
      EventTime: new Date(NOW - 10 * MINUTE),
      EventSource: 'secretsmanager.amazonaws.com',
      Username: 'mallory',
      Resources: [{ ResourceType: 'AWS::SecretsManager::Secret', ResourceName: SECRET }],
      CloudTrailEvent: undefined,
    },
  );
  t.match(JSON.parse(event!.CloudTrailEvent!), {
    eventID: newId,
    eventTime: '2026-01-09T23:50:00Z',
    eventName: 'GetSecretValue',
    eventSource: 'secretsmanager.amazonaws.com',
    sourceIPAddress: '198.51.100.66',
    userAgent: 'curl/8.0',
    userIdentity: { type: 'IAMUser', userName: 'mallory', accessKeyId: 'AKIAMALLORY', accountId: '111111111111' },
    requestParameters: { secretId: SECRET },
    readOnly: true,
    eventType: 'AwsApiCall',
  });
  t.equal(JSON.parse(wire[0]!.body).Events[0].EventTime, (NOW - 10 * MINUTE) / 1000, 'epoch seconds on the wire');
  const writes = await lookup({ LookupAttributes: [{ AttributeKey: 'ReadOnly', AttributeValue: 'false' }] });
  t.same(writes.Events?.map((e) => e.Username), ['admin']);
  const byResource = await lookup({ LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: SECRET }] });
  t.equal(byResource.Events?.length, 3);
  const byKey = await lookup({ LookupAttributes: [{ AttributeKey: 'AccessKeyId', AttributeValue: 'AKIABOT' }] });
  t.same(byKey.Events?.map((e) => e.EventId), [oldId]);
});

t.test('two lookup attributes are refused, as AWS allows only one', async (t) => {
  const { sim, client, wire } = await setup(t);
  sim.seedEvents([read(1)]);
  await t.rejects(
    client.send(
      new LookupEventsCommand({
        LookupAttributes: [
          { AttributeKey: 'EventName', AttributeValue: 'GetSecretValue' },
          { AttributeKey: 'Username', AttributeValue: 'bot' },
        ],
      }),
    ),
    { name: 'InvalidLookupAttributesException', $metadata: { httpStatusCode: 400 } },
  );
  t.equal(wire[0]!.headers['x-amzn-errortype'], 'InvalidLookupAttributesException');
  t.equal(JSON.parse(wire[0]!.body).__type, 'InvalidLookupAttributesException');
});

t.test('StartTime/EndTime bound the events; nothing older than 90 days is kept', async (t) => {
  const { sim, lookup, client } = await setup(t);
  sim.seedEvents([read(60), read(40), read(20), read(91 * 24 * 60, 'ancient')]);
  const window = await lookup({ StartTime: new Date(NOW - 45 * MINUTE), EndTime: new Date(NOW - 20 * MINUTE) });
  t.same(window.Events?.map((e) => e.EventTime?.getTime()), [NOW - 20 * MINUTE, NOW - 40 * MINUTE]);
  const all = await lookup({ StartTime: new Date(0) });
  t.equal(all.Events?.length, 3, 'the 91-day-old event is gone');
  await t.rejects(client.send(new LookupEventsCommand({ StartTime: new Date(NOW), EndTime: new Date(NOW - MINUTE) })), {
    name: 'InvalidTimeRangeException',
  });
});

t.test('MaxResults and NextToken page through the events', async (t) => {
  const { sim, lookup, client, clock } = await setup(t);
  sim.seedEvents(Array.from({ length: 5 }, (_, i) => read(i + 1)));
  const input = { LookupAttributes: [{ AttributeKey: 'EventSource' as const, AttributeValue: 'secretsmanager.amazonaws.com' }], MaxResults: 2 };
  const times: number[] = [];
  let NextToken: string | undefined;
  let firstToken: string | undefined;
  let pages = 0;
  do {
    const page = await lookup({ ...input, NextToken });
    times.push(...page.Events!.map((e) => e.EventTime!.getTime()));
    NextToken = page.NextToken;
    firstToken ??= NextToken;
    pages++;
  } while (NextToken);
  t.equal(pages, 3);
  t.same(times, [1, 2, 3, 4, 5].map((m) => NOW - m * MINUTE));
  const unpaged = await lookup({});
  t.equal(unpaged.Events?.length, 5, 'MaxResults defaults to 50');
  t.notOk(unpaged.NextToken);
  await t.rejects(client.send(new LookupEventsCommand({ ...input, NextToken: 'garbage' })), { name: 'InvalidNextTokenException' });
  await clock.advance(1000);
  await t.rejects(client.send(new LookupEventsCommand({ MaxResults: 2, NextToken: firstToken })), {
    name: 'InvalidNextTokenException',
  });
  await clock.advance(1000);
  await t.rejects(client.send(new LookupEventsCommand({ MaxResults: 51 })), {
    name: 'ValidationException',
    message: /Value '51' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 50/,
  });
});

t.test('more than 2 lookups per second are throttled, by the clock', async (t) => {
  const { client, clock, wire } = await setup(t);
  await client.send(new LookupEventsCommand({}));
  await clock.advance(400);
  await client.send(new LookupEventsCommand({}));
  await t.rejects(client.send(new LookupEventsCommand({})), {
    name: 'ThrottlingException',
    message: 'Rate exceeded',
    $metadata: { httpStatusCode: 400 },
  });
  t.equal(wire.at(-1)!.headers['x-amzn-errortype'], 'ThrottlingException');
  await clock.advance(600);
  t.ok(await client.send(new LookupEventsCommand({})), 'the first call left the window');
  await t.rejects(client.send(new LookupEventsCommand({})), { name: 'ThrottlingException' });
});

t.test("botocore's X-Amz-Target (the full namespace) is answered too", async (t) => {
  const { sim, client } = await setup(t);
  const [id] = sim.seedEvents([read(1)]);
  client.middlewareStack.add(
    (next) => (args) => {
      (args as { request: { headers: Record<string, string> } }).request.headers['x-amz-target'] =
        'com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents';
      return next(args);
    },
    { step: 'build', name: 'botocoreTarget' },
  );
  t.same((await client.send(new LookupEventsCommand({}))).Events?.map((e) => e.EventId), [id]);
  t.same(sim.faults.calls, ['LookupEvents']);
});

t.test('events can be seeded and read over /_sim; a wrong secret is refused', async (t) => {
  const { server, lookup } = await setup(t);
  const seeded = await fetch(`${server.url}/_sim/seed`, { method: 'POST', body: JSON.stringify({ events: [read(5, 'remote')] }) });
  const [id] = (await seeded.json()) as string[];
  t.same((await lookup({})).Events?.map((e) => e.EventId), [id]);
  const state = (await (await fetch(`${server.url}/_sim/state`)).json()) as { events: { eventID: string }[] };
  t.same(state.events.map((e) => e.eventID), [id]);
  const config = clientConfig(server.url);
  const wrong = new CloudTrailClient({ ...config, credentials: { ...config.credentials, secretAccessKey: 'nope' } });
  t.teardown(() => wrong.destroy());
  await t.rejects(wrong.send(new LookupEventsCommand({})), { name: 'InvalidSignatureException' });
});
