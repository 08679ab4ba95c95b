import t, { type Test } from 'tap';
import { systemClock } from '../../src/core/clock.js';
import { Scrubber } from '../../src/core/scrubber.js';
import { createLogger } from '../../src/http/logger.js';
import { SlackNotifier } from '../../src/integrations/slack.js';
import { SlackSim } from '../sim/slack.js';
import { captureLog } from '../helpers/logs.js';
import { FAST_POLICY } from '../helpers/aws.js';

async function setup(t: Test, maxQueue = 100) {
  const sim = new SlackSim({ clock: systemClock });
  const server = await sim.start();
  const url = sim.addWebhook();
  const scrubber = new Scrubber();
  const log = captureLog();
  const notifier = new SlackNotifier(url, systemClock, scrubber, createLogger(scrubber, { destination: log.stream }), { maxQueue, policy: { ...FAST_POLICY, retries: 2 } });
  t.teardown(() => server.close());
  return { sim, url, notifier, log, scrubber };
}

t.test('posts Block Kit messages without holding the caller up', async (t) => {
  const { sim, url, notifier, scrubber } = await setup(t);
  scrubber.register('PLANTED-secret-xyz123');
  notifier.enqueue({ text: 'BREAK-GLASS: bybit-prod frozen (PLANTED-secret-xyz123)', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*freeze* done PLANTED-secret-xyz123' } }] });
  t.equal(sim.messagesTo(url).length, 0, 'enqueue returned before sending');
  await notifier.flush();
  const [msg] = sim.messagesTo(url);
  t.equal(msg?.text, 'BREAK-GLASS: bybit-prod frozen ([REDACTED])');
  t.same(msg?.blocks, [{ type: 'section', text: { type: 'mrkdwn', text: '*freeze* done [REDACTED]' } }]);
  t.same(notifier.stats, { sent: 1, failed: 0, dropped: 0 });
  await notifier.send({ text: 'sent directly: PLANTED-secret-xyz123' });
  t.equal(sim.messagesTo(url)[1]?.text, 'sent directly: [REDACTED]', 'a direct send is scrubbed too');
});

t.test('429 Retry-After is honoured, then delivered', async (t) => {
  const { sim, url, notifier } = await setup(t);
  sim.faults.inject('POST /services', { kind: 'error', status: 429, body: 'rate_limited', headers: { 'retry-after': '0', 'content-type': 'text/plain' }, times: 1 });
  notifier.enqueue({ text: 'hello' });
  await notifier.flush();
  t.equal(sim.messagesTo(url).length, 1);
  t.equal(notifier.stats.sent, 1);
});

t.test('a dead webhook is logged with what to do, never thrown at the responder', async (t) => {
  const { sim, url, notifier, log } = await setup(t);
  sim.setState(url, 'revoked');
  notifier.enqueue({ text: 'hello' });
  await notifier.flush();
  t.same(notifier.stats, { sent: 0, failed: 1, dropped: 0 });
  t.match(log.text(), 'create a new incoming webhook');
  t.notMatch(log.text(), url, 'the webhook URL is a credential');
  await t.rejects(notifier.send({ text: 'x' }), { kind: 'invalid_request', retryable: false, code: 'no_service' });
  sim.setState(url, 'channel_is_archived');
  await t.rejects(notifier.send({ text: 'x' }), { message: /unarchive it/ });
  sim.setState(url, 'rollup_error');
  await t.rejects(notifier.send({ text: 'x' }), { message: /still failing after 3 attempts/ });
});

t.test('a full queue drops the oldest alert and counts it', async (t) => {
  const { sim, url, notifier } = await setup(t, 2);
  sim.faults.inject('POST /services', { kind: 'latency', ms: 50, times: 1 });
  for (const text of ['a', 'b', 'c', 'd']) notifier.enqueue({ text });
  await notifier.flush();
  // 'a' was already being sent; of b, c, d the queue of 2 kept the newest.
  t.same(sim.messagesTo(url).map((m) => m.text), ['a', 'c', 'd']);
  t.equal(notifier.stats.dropped, 1);
});
