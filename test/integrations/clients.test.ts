import t from 'tap';
import { systemClock } from '../../src/core/clock.js';
import { REDACTED, Scrubber } from '../../src/core/scrubber.js';
import { parseConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/http/logger.js';
import { createClients } from '../../src/integrations/clients.js';
import { captureLog } from '../helpers/logs.js';

const credential = (masterKey: unknown) =>
  parseConfig({
    credentials: [{ id: 'c1', exchange: 'bybit', account: { uid: '1', masterKey }, secretId: 's', workload: { namespace: 'n', deployment: 'd', selector: 'a=b' }, trades: { categories: ['spot'] }, orderLinkPrefix: 'x-' }],
  });

async function clientsWith(env: NodeJS.ProcessEnv) {
  const config = credential({ env: 'LG_MASTER' });
  const scrubber = new Scrubber();
  const clients = await createClients(config, { clock: systemClock, scrubber, logger: createLogger(scrubber, { destination: captureLog().stream }), env });
  return { clients, scrubber, credential: config.credentials[0]! };
}

t.test('a master key from an environment variable is read as key JSON and registered with the scrubber', async (t) => {
  const { clients, scrubber, credential } = await clientsWith({ LG_MASTER: JSON.stringify({ api_key: 'MASTERKEY-0001', api_secret: 'MASTERSECRET-0001' }) });
  t.teardown(() => clients.close());
  t.same(await clients.masterKey(credential), { apiKey: 'MASTERKEY-0001', apiSecret: 'MASTERSECRET-0001' });
  t.equal(scrubber.scrub('MASTERKEY-0001 MASTERSECRET-0001'), `${REDACTED} ${REDACTED}`);
});

t.test('a master key variable that is unset or not key JSON says what to do, without the value', async (t) => {
  const unset = await clientsWith({});
  t.teardown(() => unset.clients.close());
  await t.rejects(unset.clients.masterKey(unset.credential), { kind: 'invalid_request', message: /environment variable LG_MASTER is not set.*set LG_MASTER/ });
  const text = await clientsWith({ LG_MASTER: 'PLAIN-MASTER-SECRET' });
  t.teardown(() => text.clients.close());
  const err = (await text.clients.masterKey(text.credential).catch((e: Error) => e)) as Error;
  t.match(err.message, /the master key of c1 \(environment variable LG_MASTER\) does not hold JSON.*store the key as/);
  t.notMatch(err.message, 'PLAIN-MASTER-SECRET');
  const partial = await clientsWith({ LG_MASTER: JSON.stringify({ api_key: 'ONLY-A-KEY-0001' }) });
  t.teardown(() => partial.clients.close());
  await t.rejects(partial.clients.masterKey(partial.credential), { message: /lacks api_key or api_secret/ });
  t.equal(partial.scrubber.scrub('ONLY-A-KEY-0001'), REDACTED, 'even a partial key is scrubbed');
});
