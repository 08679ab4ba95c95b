import { randomUUID } from 'node:crypto';
import t from 'tap';
import { fingerprint, keyHint } from '../../src/core/fingerprint.js';
import { createLeakGuard } from '../../src/leakguard.js';
import { stamped } from '../../responders/lib/journal.js';
import { revokeOutputs } from '../../responders/revoke/outputs.js';
import { startE2E } from '../helpers/e2e.js';
import { sqliteStore } from '../helpers/stores.js';

/** A revoke step run as the runner journals it: stamped outputs, under a live lease. */
async function recordRun(store: Awaited<ReturnType<typeof sqliteStore>>['store'], credentialId: string, step: string, status: 'succeeded' | 'failed', outputs: Record<string, unknown>) {
  const { incident } = await store.openIncident({ id: randomUUID(), credentialId, dryRun: false, reason: 'test', target: null, plan: { playbook: 'break-glass' }, at: 1_000 });
  const lease = `incident:${incident.id}`;
  const fence = { lease, holder: 'test', token: (await store.acquireLease(lease, 'test', 60_000, 1_000))!.fence };
  await store.startStep({ incidentId: incident.id, step, attempt: 1, at: 1_100 }, fence);
  await store.finishStep({ incidentId: incident.id, step, attempt: 1, status, at: 1_200, outputs: status === 'succeeded' ? stamped(revokeOutputs, outputs) : {}, error: status === 'failed' ? 'revocation_unproven' : null }, fence);
  await store.updateIncident(incident.id, { state: 'resolved', at: 1_300 });
}

t.test("a key a revoke step proved gone matches as revoked through LeakGuard's store; a failed revoke proves nothing", async (t) => {
  const e2e = await startE2E();
  t.teardown(() => e2e.close());
  const ts = await sqliteStore(e2e.scrubber);
  t.teardown(() => ts.cleanup());
  const { botKey, master } = e2e.world.accounts;
  await recordRun(ts.store, 'bybit-prod-trading', 'revoke', 'succeeded', { key: 'target', keyHint: keyHint(botKey.apiKey), alreadyGone: false, proof: 'listing', revokedFingerprint: fingerprint(botKey.apiKey) });
  await recordRun(ts.store, 'bybit-prod-trading', 'revoke', 'failed', {});
  const lg = await createLeakGuard(e2e.config, { store: ts.store, clients: e2e.clients, scrubber: e2e.scrubber, logger: e2e.logger });
  t.teardown(() => lg.close(0));
  t.same((await lg.matcher.match(botKey.apiKey)).map((m) => [m.field, m.revoked]), [['api_key', true]], 'the proved key: revoked, audit only');
  t.same((await lg.matcher.match(botKey.secret)).map((m) => [m.field, m.revoked]), [['api_secret', true]], 'its secret too');
  t.same((await lg.matcher.match(master.apiKey)).map((m) => m.revoked), [false], 'a key no revoke proved gone stays actionable');
});
