import t from 'tap';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildPlan } from '../../../src/runner/playbook.js';
import type { Responder } from '../../../src/runner/responder.js';
import { responders } from '../../../responders/registry.js';
import { responderWorld } from '../../responders/harness.js';
import { apiSection, TOKENS } from './kit.js';

t.setTimeout(120_000);

const PLANTED = 'sk_live_PLANTED_in_step_output_5f4e3d2c1b';

/** A step whose output holds a secret LeakGuard knows (registered with the scrubber): it must reach no client. */
const leaky: Responder = {
  name: 'leaky',
  params: { type: 'object', additionalProperties: false },
  beforeTarget: true,
  async run() {
    return { status: 'succeeded', outputs: { echoed: `the exchange said: bad key ${PLANTED}` }, message: `echo ${PLANTED}` };
  },
};

interface Event {
  id?: number;
  event?: string;
  data: string;
}

/** An SSE client over a real connection: events as they arrive, and a way to hang up. */
function follow(base: string, path: string, headers: Record<string, string> = {}) {
  const events: Event[] = [];
  const waiters: (() => void)[] = [];
  let raw = '';
  let status = 0;
  let ended = false;
  const req = request(`${base}${path}`, { headers: { authorization: `Bearer ${TOKENS.viewer}`, ...headers } }, (res) => {
    status = res.statusCode ?? 0;
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      raw += chunk;
      let at: number;
      while ((at = raw.indexOf('\n\n')) >= 0) {
        const block = raw.slice(0, at);
        raw = raw.slice(at + 2);
        const e: Event = { data: '' };
        for (const line of block.split('\n')) {
          if (line.startsWith('id: ')) e.id = Number(line.slice(4));
          else if (line.startsWith('event: ')) e.event = line.slice(7);
          else if (line.startsWith('data: ')) e.data = line.slice(6);
        }
        if (e.data) events.push(e);
        for (const w of waiters.splice(0)) w();
      }
    });
    res.on('end', () => {
      ended = true;
      for (const w of waiters.splice(0)) w();
    });
  });
  req.end();
  const until = async (ok: () => boolean) => {
    while (!ok()) {
      if (ended) throw new Error(`stream ended before the condition; got ${events.length} events`);
      await new Promise<void>((r) => waiters.push(r));
    }
  };
  return { events, until, close: () => req.destroy(), status: () => status, ended: () => ended };
}

t.test('SSE: a step\'s end reaches a connected client, a reconnect with Last-Event-ID misses nothing, a planted secret arrives scrubbed', async (t) => {
  const env = await responderWorld(t, { config: { api: apiSection() }, responders: { ...responders, leaky } });
  env.scrubber.register(PLANTED);
  const base = await env.app.listen({ host: '127.0.0.1', port: 0 }).then(() => `http://127.0.0.1:${(env.app.server.address() as AddressInfo).port}`);
  const plan = { ...buildPlan('scheduled', [{ id: 'first', step: 'leaky', retries: 0 }, { id: 'second', step: 'leaky', retries: 0, approval: { reason: 'hold until the client is gone' } }]) };
  const incident = await env.open(plan);

  const first = follow(base, `/v1/incidents/${incident.id}/events`);
  env.runner.start();
  const finished = (e: Event) => JSON.parse(e.data).type === 'step.finished';
  await first.until(() => first.events.some(finished));
  t.equal(first.status(), 200);
  const end = JSON.parse(first.events.find(finished)!.data);
  t.match(end, { incidentId: incident.id, data: { step: 'first', status: 'succeeded' } }, "the step's end, live");
  // The incident now waits for approval of the second step: hang up, let it go on, reconnect from the last event seen.
  await first.until(() => first.events.some((e) => JSON.parse(e.data).type === 'approval.requested'));
  first.close();
  const lastSeen = first.events.at(-1)!.id!;
  await env.incidents.approve(incident.id, 'user:test');
  await env.waitForState(incident.id, ['resolved']);

  const again = follow(base, `/v1/incidents/${incident.id}/events`, { 'last-event-id': String(lastSeen) });
  await again.until(() => again.events.some((e) => e.event === 'end'));
  t.match(JSON.parse(again.events.at(-1)!.data), { state: 'resolved' }, 'an end event once the incident is over');
  const seqs = [...first.events, ...again.events].filter((e) => e.id !== undefined).map((e) => e.id);
  t.same(seqs, (await env.store.listTimeline(incident.id)).map((e) => e.seq), 'both connections together: every entry once, in order');

  const streamed = [...first.events, ...again.events].map((e) => e.data).join('\n');
  t.notOk(streamed.includes(PLANTED), 'the planted secret is in no event');
  t.match(streamed, 'bad key [REDACTED]', 'it arrives scrubbed');

  const wrong = follow(base, `/v1/incidents/${incident.id}/events`, { authorization: 'Bearer nope' });
  await wrong.until(() => wrong.ended());
  t.equal(wrong.status(), 401, 'the stream needs a token too');
});
