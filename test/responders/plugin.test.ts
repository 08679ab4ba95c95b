import t from 'tap';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { ConfigError, loadConfig } from '../../src/config/load.js';
import { systemClock } from '../../src/core/clock.js';
import { Scrubber } from '../../src/core/scrubber.js';
import { createLogger } from '../../src/http/logger.js';
import { createExchanges } from '../../src/integrations/exchanges/registry.js';
import { createLeakGuard } from '../../src/leakguard.js';
import { main } from '../../src/main.js';
import { defineOutputs, outputsOf } from '../../responders/lib/journal.js';
import { checkNeeds, checkPlaybooks, playbookPlan } from '../../responders/playbooks.js';
import { responders } from '../../responders/registry.js';
import { probe, probeV1 } from '../fixtures/responders/probe/index.js';
import { probeOutputs } from '../fixtures/responders/probe/outputs.js';
import { captureLog } from '../helpers/logs.js';
import { runnerSetup } from '../helpers/runner-setup.js';

const examplePath = new URL('../../infra/examples/leakguard.yaml', import.meta.url).pathname;
const registry = { ...responders, probe };

t.test('a responder added with one folder and one registry line runs in a playbook on the real runner and store', async (t) => {
  const overrides = { scheduled: { steps: [{ step: 'probe', params: {} }, { id: 'probe-again', step: 'probe', params: { greeting: 'hi' } }] } };
  t.match(checkPlaybooks(overrides, responders).join('\n'), /step probe: no responder named probe/, 'unknown until registered');
  t.same(checkPlaybooks(overrides, registry), [], 'valid once registered');
  t.match(checkPlaybooks({ scheduled: { steps: [{ step: 'probe', params: { greeting: '' } }] } }, registry).join('\n'), /playbooks\.scheduled: step probe: params for probe are invalid: \/greeting must NOT have fewer than 1 characters/);

  const plan = playbookPlan('scheduled', overrides, registry);
  t.same(
    plan.steps.map((s) => [s.id, s.timeoutMs, s.retries, s.backoffMs]),
    [
      ['probe', 4_321, 0, 10],
      ['probe-again', 4_321, 0, 10],
    ],
    "the responder's policy fills the budget and retries the playbook leaves unset",
  );

  const env = await runnerSetup(t, { responders: registry });
  const id = await env.open(plan.steps, { playbook: 'scheduled' });
  await env.runner.tick();
  t.equal((await env.store.getIncident(id))?.state, 'resolved');
  const runs = await env.store.listStepRuns(id);
  t.same(
    outputsOf(runs, probeOutputs),
    [
      { greeting: 'hello', heard: null },
      { greeting: 'hi', heard: 'hello' },
    ],
    "the params' default reached the step, and the second run read the first's outputs by responder, under another step id",
  );
});

t.test("outputs an older release recorded are upgraded; outputs a release cannot read are refused, saying so", async (t) => {
  // The release before: the same responder with version 1 outputs, in a real journal.
  const env = await runnerSetup(t, { responders: { ...responders, probe: probeV1 } });
  const id = await env.open([{ step: 'probe', params: { greeting: 'gm' } }]);
  await env.runner.tick();
  const runs = await env.store.listStepRuns(id);
  t.same(outputsOf(runs, probeOutputs), [{ greeting: 'gm', heard: null }], 'version 1 read as version 2 through the upgrade');
  const noUpgrade = defineOutputs('probe', 2, probeOutputs.schema);
  t.throws(() => outputsOf(runs, noUpgrade), /step probe of incident .+ recorded probe outputs of version 1, and this release reads version 2 with no upgrade from it/);
});

t.test('a playbook step that needs what a credential\'s exchange lacks is refused at start, naming playbook, step, credential and capability', async (t) => {
  const example = loadConfig(examplePath);
  const exchanges = createExchanges(example, { clock: systemClock, scrubber: new Scrubber() });
  const capabilitiesOf = (c: (typeof example.credentials)[number]) => exchanges.exchangeFor(c).capabilities;
  t.same(checkNeeds(example.playbooks, example.credentials, capabilitiesOf, responders), [], 'the built-in playbooks pass for the example (a Bybit and a Binance credential)');

  const playbooks = { 'break-glass': { steps: [{ step: 'freeze', params: {} }, { id: 'make-key', step: 'probe', params: {} }] } };
  const expected = /playbooks\.break-glass: step make-key \(probe\) needs createKey over the API, and credential binance-prod-spot's exchange binance has it as manual/;
  const problems = checkNeeds(playbooks, example.credentials, capabilitiesOf, registry);
  t.match(problems, [expected], 'only the Binance credential: Bybit creates keys over the API');

  const scrubber = new Scrubber();
  const logger = createLogger(scrubber, { level: 'warn', destination: captureLog().stream });
  const refused = await createLeakGuard({ ...example, playbooks }, { responders: registry, scrubber, logger }).then(
    () => undefined,
    (err: unknown) => err,
  );
  t.ok(refused instanceof ConfigError, 'createLeakGuard refuses to build it');
  t.match((refused as ConfigError).problems, [expected]);

  const file = join(mkdtempSync(join(tmpdir(), 'leakguard-plugin-')), 'leakguard.yaml');
  // The example as written, with the playbook added.
  writeFileSync(file, stringify({ ...(parse(readFileSync(examplePath, 'utf8')) as object), playbooks }));
  const err: string[] = [];
  t.equal(await main(['config', 'check', file], { out: () => {}, err: (s) => void err.push(s) }, { responders: registry }), 2, 'leakguard config check exits 2');
  t.match(err.join('\n'), expected);
});
