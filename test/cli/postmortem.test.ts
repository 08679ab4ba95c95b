import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { stringify } from 'yaml';
import { Scrubber } from '../../src/core/scrubber.js';
import { main, type Io } from '../../src/main.js';
import { buildPlan } from '../../src/runner/playbook.js';
import { openStore } from '../../src/store/open.js';
import { readIncidentRecord } from '../../src/postmortem/record.js';

function io() {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (s) => void out.push(s), err: (s) => void err.push(s) };
  return { io, out: () => out.join('\n'), err: () => err.join('\n') };
}

t.test('leakguard postmortem prints an incident of the configured store as Markdown or JSON, and names an unknown id', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'leakguard-pm-'));
  const url = join(dir, 'lg.db');
  const config = join(dir, 'leakguard.yaml');
  writeFileSync(config, stringify({ store: { url } }));
  const store = await openStore({ url, scrubber: new Scrubber() });
  const plan = buildPlan('emergency', [{ id: 'rotate', step: 'rotate', timeoutMs: 45_000 }]);
  const { incident } = await store.openIncident({ id: randomUUID(), credentialId: 'bybit-prod', dryRun: false, reason: 'declared by alice', target: null, plan, at: 1_000 });
  await store.appendTimeline({ incidentId: incident.id, at: 2_000, actor: 'user:alice', type: 'incident.abort_requested', message: 'abort: wrong credential', data: {} });
  t.same((await readIncidentRecord(store, incident.id))?.budgets, { rotate: 45_000 }, "each step's budget from the stored plan");
  await store.close();

  const md = io();
  t.equal(await main(['postmortem', incident.id, '--config', config], md.io), 0, md.err());
  t.match(md.out(), '# Post-mortem: emergency for bybit-prod');
  t.match(md.out(), 'user:alice: abort: wrong credential');
  const json = io();
  t.equal(await main(['postmortem', incident.id, '--config', config, '--json'], json.io), 0);
  t.match(JSON.parse(json.out()), { incident: { id: incident.id, playbook: 'emergency' }, milestones: { acknowledged: { at: 2_000 } }, overrides: [{ actor: 'user:alice' }] });

  const missing = io();
  t.equal(await main(['postmortem', 'no-such-incident', '--config', config], missing.io), 1);
  t.match(missing.err(), `no incident no-such-incident in the store ${url}`);
});
