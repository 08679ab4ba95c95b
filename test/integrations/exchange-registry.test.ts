import t from 'tap';
import { systemClock } from '../../src/core/clock.js';
import { Scrubber } from '../../src/core/scrubber.js';
import { BinanceExchange } from '../../src/integrations/exchanges/binance/exchange.js';
import { BybitExchange } from '../../src/integrations/exchanges/bybit/exchange.js';
import { createExchanges, defaultExchanges } from '../../src/integrations/exchanges/registry.js';
import { BinanceSim } from '../sim/binance/server.js';
import { BybitSim } from '../sim/bybit/server.js';

t.test('exchangeFor builds each exchange once from the config, with its base URL', async (t) => {
  const bybitSim = new BybitSim();
  const binanceSim = new BinanceSim();
  await bybitSim.start();
  await binanceSim.start();
  t.teardown(async () => {
    await bybitSim.close();
    await binanceSim.close();
  });
  t.same(defaultExchanges.map((m) => m.name).sort(), ['binance', 'bybit']);
  bybitSim.clockOffsetMs = 3_600_000;
  binanceSim.clockOffsetMs = -3_600_000;
  const registry = createExchanges({ exchanges: { bybit: { baseUrl: bybitSim.url }, binance: { baseUrl: binanceSim.url } } }, { clock: systemClock, scrubber: new Scrubber() });
  const bybit = registry.exchangeFor({ exchange: 'bybit' });
  const binance = registry.exchangeFor({ exchange: 'binance' });
  t.type(bybit, BybitExchange);
  t.type(binance, BinanceExchange);
  t.equal(registry.exchangeFor({ exchange: 'bybit' }), bybit, 'built once');
  t.equal(bybit.name, 'bybit');
  t.equal(binance.capabilities.revokeKey, 'manual');
  t.ok(Object.values(bybit.capabilities).every((c) => c === 'api'));
  t.ok(Math.abs((await bybit.serverTime()) - (Date.now() + 3_600_000)) < 2000, 'bybit talks to exchanges.bybit.baseUrl');
  t.ok(Math.abs((await binance.serverTime()) - (Date.now() - 3_600_000)) < 2000, 'binance talks to exchanges.binance.baseUrl');
});

t.test('headers in the deps reach every request (the simulators read the caller\'s IP from one)', async (t) => {
  const sim = new BybitSim();
  await sim.start();
  t.teardown(() => sim.close());
  const masterUid = sim.addMaster().uid;
  const master = sim.addKey({ uid: masterUid, ips: ['10.0.0.7'], permissions: { Wallet: ['AccountTransfer'] } });
  const key = { apiKey: master.apiKey, apiSecret: master.secret };
  const config = { exchanges: { bybit: { baseUrl: sim.url }, binance: {} } };
  const deps = { clock: systemClock, scrubber: new Scrubber() };
  const fromLeakGuard = createExchanges(config, { ...deps, headers: { 'x-sim-client-ip': '10.0.0.7' } }).exchangeFor({ exchange: 'bybit' });
  t.match(await fromLeakGuard.describeKey(key), { isMaster: true, ips: ['10.0.0.7'] });
  const fromElsewhere = createExchanges(config, deps).exchangeFor({ exchange: 'bybit' });
  const err = await fromElsewhere.describeKey(key).catch((e: unknown) => e);
  t.match(err, { kind: 'ip_not_allowed' });
});

t.test("every exchange's error map tells the operator what happens or what to do next", async (t) => {
  for (const module of defaultExchanges) {
    const codes = Object.entries(module.errors.codes);
    t.ok(codes.length > 0, `${module.name} maps its error codes`);
    for (const [code, meaning] of codes) {
      t.ok(meaning.action.length >= 20, `${module.name} ${code}: "${meaning.action}" says what to do`);
      // A retried failure must say so, so the operator knows not to act on it yet.
      if (meaning.retryable) t.match(meaning.action, /retr/i, `${module.name} ${code} says it is retried`);
    }
  }
});
