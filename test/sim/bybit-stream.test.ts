import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import t from 'tap';
import WebSocket from 'ws';
import { ManualClock } from '../../src/core/clock.js';
import type { ApiKey } from './bybit/keys.js';
import { startBybit, type BybitWorld } from './bybit/testkit.js';

type Msg = Record<string, unknown>;

/** A raw client of the private stream: every message it got, and a way to wait for the next one that matches. */
async function connect(w: BybitWorld, query = '') {
  const ws = new WebSocket(w.sim.stream.url + query);
  const got: Msg[] = [];
  const waiters: { pred: (m: Msg) => boolean; resolve: (m: Msg) => void }[] = [];
  ws.on('message', (raw) => {
    const m = JSON.parse(raw.toString()) as Msg;
    got.push(m);
    for (const x of waiters.filter((x) => x.pred(m))) {
      waiters.splice(waiters.indexOf(x), 1);
      x.resolve(m);
    }
  });
  await once(ws, 'open');
  const next = (pred: (m: Msg) => boolean) => {
    const seen = got.find(pred);
    if (seen) {
      got.splice(got.indexOf(seen), 1);
      return Promise.resolve(seen);
    }
    return new Promise<Msg>((resolve) => waiters.push({ pred, resolve: (m) => (got.splice(got.indexOf(m), 1), resolve(m)) }));
  };
  const send = (m: Msg) => ws.send(JSON.stringify(m));
  const op = async (m: Msg) => {
    send(m);
    return next((x) => x.op === m.op || (m.op === 'ping' && x.op === 'pong'));
  };
  return { ws, got, next, send, op };
}

const authArgs = (key: Pick<ApiKey, 'apiKey' | 'secret'>, expires: number) => [key.apiKey, expires, createHmac('sha256', key.secret).update(`GET/realtime${expires}`).digest('hex')];

t.test('auth signs GET/realtime + expires: a good signature passes, a wrong one, a past expires and a revoked key are refused', async (t) => {
  const w = await startBybit(t.teardown);
  const c = await connect(w);
  t.teardown(() => c.ws.terminate());
  t.match(await c.op({ op: 'subscribe', args: ['order'] }), { success: false, ret_msg: 'Request not authorized' }, 'no private topic before auth');
  t.match(await c.op({ op: 'auth', args: authArgs({ apiKey: w.bot.apiKey, secret: 'not-the-secret' }, w.sim.now() + 5000) }), { op: 'auth', success: false, ret_msg: 'Request not authorized' });
  t.match(await c.op({ op: 'auth', args: authArgs(w.bot, w.sim.now() - 1) }), { success: false, ret_msg: /expires/ });
  const ok = await c.op({ req_id: 'a1', op: 'auth', args: authArgs(w.bot, w.sim.now() + 5000) });
  t.match(ok, { req_id: 'a1', op: 'auth', success: true, ret_msg: '', conn_id: /./ });
  t.match(await c.op({ op: 'auth', args: authArgs(w.bot, w.sim.now() + 5000) }), { success: false }, 'one auth per connection');

  // The watch key deleted by its owner: the next connection's auth is refused.
  const watch = w.sim.addKey({ uid: w.subUid, note: 'watch', readOnly: 1, permissions: { ContractTrade: ['Order', 'Position'] } });
  const res = await w.client(w.master).deleteSubApiKey({ apikey: watch.apiKey } as never);
  t.equal(res.retCode, 0);
  const d = await connect(w);
  t.teardown(() => d.ws.terminate());
  t.match(await d.op({ op: 'auth', args: authArgs(watch, w.sim.now() + 5000) }), { success: false, ret_msg: 'Request not authorized' });
  t.same(
    w.sim.stream.auths.map((a) => a.success),
    [false, false, true, false, false],
    'every auth is on record',
  );
});

t.test('subscribe, then orders placed and filled through REST are pushed in the V5 order and execution shapes to their own account only', async (t) => {
  const w = await startBybit(t.teardown);
  w.sim.book.markPrices.set('BTCUSDT', '60000');
  const c = await connect(w);
  t.teardown(() => c.ws.terminate());
  await c.op({ op: 'auth', args: authArgs(w.bot, w.sim.now() + 5000) });
  t.match(await c.op({ op: 'subscribe', args: ['nonsense'] }), { success: false, ret_msg: /handler not found/ });
  t.match(await c.op({ req_id: 's1', op: 'subscribe', args: ['order', 'execution', 'position', 'wallet'] }), { req_id: 's1', success: true, op: 'subscribe' });
  // Another account's order is not this connection's business.
  const otherUid = w.sim.addSubAccount(w.masterUid).uid;
  const other = w.sim.addKey({ uid: otherUid, note: 'other', permissions: { ContractTrade: ['Order', 'Position'] } });
  t.equal((await w.client(other).submitOrder({ category: 'linear', symbol: 'BTCUSDT', side: 'Buy', orderType: 'Limit', qty: '0.01', price: '50000', orderLinkId: 'x-1' })).retCode, 0);

  const placed = await w.client(w.bot).submitOrder({ category: 'linear', symbol: 'BTCUSDT', side: 'Buy', orderType: 'Market', qty: '0.01', orderLinkId: 'evil-1' });
  const order = await c.next((m) => m.topic === 'order');
  t.match(order, { topic: 'order', id: /./, creationTime: Number });
  t.match((order.data as Msg[])[0], { category: 'linear', symbol: 'BTCUSDT', orderId: placed.result.orderId, orderLinkId: 'evil-1', orderStatus: 'Filled', side: 'Buy', orderType: 'Market', createType: 'CreateByUser', createdTime: /^\d+$/, updatedTime: /^\d+$/ });
  const exec = await c.next((m) => m.topic === 'execution');
  t.match((exec.data as Msg[])[0], { category: 'linear', symbol: 'BTCUSDT', orderId: placed.result.orderId, orderLinkId: 'evil-1', execId: /./, execPrice: '60000', execQty: '0.01', execTime: /^\d+$/, execType: 'Trade' });
  t.notOk(c.got.some((m) => JSON.stringify(m).includes('x-1')), "another account's order is not pushed");
});

t.test('ping gets pong; drop() cuts the connection; a connection without ping for max_active_time is closed', async (t) => {
  const clock = new ManualClock(Date.now());
  const w = await startBybit(t.teardown, { clock });
  const c = await connect(w, '?max_active_time=1m');
  t.match(await c.op({ req_id: 'p1', op: 'ping' }), { req_id: 'p1', op: 'pong', args: [String(clock.now())] });
  await clock.advance(50_000);
  await c.op({ op: 'ping' });
  await clock.advance(50_000);
  t.equal(c.ws.readyState, WebSocket.OPEN, 'a ping within the minute keeps it');
  const closed = once(c.ws, 'close');
  await clock.advance(10_001);
  const [code] = (await closed) as [number];
  t.equal(code, 1000, 'closed once a minute passed without a ping');

  const d = await connect(w);
  await d.op({ op: 'auth', args: authArgs(w.bot, w.sim.now() + 5000) });
  t.same(w.sim.stream.connections().map((x) => x.apiKey), [w.bot.apiKey]);
  const dropped = once(d.ws, 'close');
  t.equal(w.sim.stream.drop(w.bot.apiKey), 1);
  const [dropCode] = (await dropped) as [number];
  t.equal(dropCode, 1006, 'no close frame: the client sees a network fault');
});
