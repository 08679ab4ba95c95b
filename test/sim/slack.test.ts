import { readFileSync } from 'node:fs';
import t from 'tap';
import { POST_OP, SlackSim, type WebhookState } from './slack.js';

const errorsFixture = readFileSync(new URL('../../../shared/fixtures/slack/incoming-webhook-errors.txt', import.meta.url), 'utf8');

async function start(teardown: (fn: () => unknown) => void) {
  const sim = new SlackSim();
  await sim.start();
  teardown(() => sim.close());
  const post = (url: string, body: string, contentType = 'application/json') =>
    fetch(url, { method: 'POST', headers: { 'content-type': contentType }, body });
  return { sim, post };
}

t.test('a message with text and/or blocks is recorded and answered 200 "ok" in text/plain', async (t) => {
  const { sim, post } = await start(t.teardown);
  const hook = sim.addWebhook();
  t.match(hook, /\/services\/T[0-9A-F]{8}\/B[0-9A-F]{8}\/[\w-]+$/);
  const res = await post(hook, JSON.stringify({ text: 'Hello, world.' }));
  t.equal(res.status, 200);
  t.match(res.headers.get('content-type'), /^text\/plain/);
  t.equal(await res.text(), 'ok');
  const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: '*leak* contained' } }];
  t.equal((await post(hook, JSON.stringify({ blocks }))).status, 200, 'blocks alone suffice');
  t.equal((await post(hook, `payload=${encodeURIComponent(JSON.stringify({ text: 'legacy' }))}`, 'application/x-www-form-urlencoded')).status, 200);
  t.same(sim.messagesTo(hook).map((m) => [m.text, m.blocks]), [['Hello, world.', undefined], [undefined, blocks], ['legacy', undefined]]);
  t.same(sim.messagesTo(sim.addWebhook()), [], 'messages are kept per webhook');
});

t.test('bad payloads get 400', async (t) => {
  const { sim, post } = await start(t.teardown);
  const hook = sim.addWebhook();
  const answer = async (body: string) => {
    const res = await post(hook, body);
    return [res.status, await res.text()];
  };
  t.same(await answer('{not json'), [400, 'invalid_payload']);
  t.same(await answer('"just a string"'), [400, 'invalid_payload']);
  t.same(await answer(JSON.stringify({ Name: 'x', Phase: 'y' })), [400, 'missing_text_or_fallback_or_attachments']);
  t.same(await answer(JSON.stringify({ text: '' })), [400, 'missing_text_or_fallback_or_attachments']);
  t.same(await answer(JSON.stringify({ text: 'x', blocks: 'nope' })), [400, 'invalid_blocks_format']);
  t.equal(sim.messages.length, 0);
});

t.test('every error mode answers Slack\'s status and string, and records nothing', async (t) => {
  const { sim, post } = await start(t.teardown);
  const cases: [WebhookState, number, string][] = [
    ['action_prohibited', 403, 'action_prohibited'],
    ['channel_not_found', 404, 'channel_not_found'],
    ['channel_is_archived', 410, 'channel_is_archived'],
    ['rollup_error', 500, 'rollup_error'],
    ['revoked', 404, 'no_service'],
  ];
  for (const [state, status, body] of cases) {
    t.match(errorsFixture, body, `${body} is one of Slack's strings`);
    const hook = sim.addWebhook();
    t.equal((await post(hook, JSON.stringify({ text: 'before' }))).status, 200);
    sim.setState(hook, state);
    const res = await post(hook, JSON.stringify({ text: 'after' }));
    t.same([res.status, await res.text()], [status, body], state);
    t.same(sim.messagesTo(hook).map((m) => m.text), ['before']);
  }
  const unknown = await post(`${sim.url}/services/T0/B0/nope`, JSON.stringify({ text: 'x' }));
  t.same([unknown.status, await unknown.text()], [404, 'no_service'], 'an unknown URL');
});

t.test('a throttle fault answers 429 with Retry-After', async (t) => {
  const { sim, post } = await start(t.teardown);
  const hook = sim.addWebhook();
  sim.faults.inject(POST_OP, { kind: 'throttle', perSecond: 1 });
  t.equal((await post(hook, JSON.stringify({ text: '1' }))).status, 200);
  const limited = await post(hook, JSON.stringify({ text: '2' }));
  t.equal(limited.status, 429);
  t.equal(limited.headers.get('retry-after'), '1');
  t.equal(await limited.text(), 'rate_limited');
  t.equal(sim.messages.length, 1);
});

t.test('other error faults and the /_sim control API', async (t) => {
  const { sim, post } = await start(t.teardown);
  const seeded = (await (
    await fetch(`${sim.url}/_sim/seed`, { method: 'POST', body: JSON.stringify({ webhooks: [{}, { state: 'channel_is_archived' }] }) })
  ).json()) as { urls: string[] };
  t.equal((await post(seeded.urls[0]!, JSON.stringify({ text: 'hi' }))).status, 200);
  t.equal((await post(seeded.urls[1]!, JSON.stringify({ text: 'hi' }))).status, 410);
  await fetch(`${sim.url}/_sim/faults`, {
    method: 'POST',
    body: JSON.stringify({ op: POST_OP, fault: { kind: 'error', status: 500, body: 'rollup_error', headers: { 'content-type': 'text/plain' } } }),
  });
  t.equal((await post(seeded.urls[0]!, JSON.stringify({ text: 'hi' }))).status, 500);
  const state = (await (await fetch(`${sim.url}/_sim/state`)).json()) as { messages: { text: string }[] };
  t.same(state.messages.map((m) => m.text), ['hi']);
});
