import t from 'tap';
import { randomUUID } from 'node:crypto';
import type { SignalInput } from '../../src/core/signal.js';
import { defaultRetryInMs, StaleFenceError, WORK_RETRY, type Fence, type WorkInput } from '../../src/store/store.js';
import { BACKENDS } from '../helpers/stores.js';

/** One suite, both backends: what the runner and the API rely on. */
for (const [name, open] of Object.entries(BACKENDS)) {
  t.test(`${name} store`, async (t) => {
    const { store, scrubber, cleanup } = await open();
    t.teardown(cleanup);
    t.equal(store.dialect, name);
    t.equal(store.multiReplica, name === 'postgres');
    await store.ping();

    const signal = (dedupKey: string): SignalInput => ({
      source: 'github',
      kind: 'github.secret.public_leak',
      credentialId: 'bybit-prod',
      confidence: 'confirmed',
      observedAt: 1_000,
      evidence: { repo: 'acme/bot', url: 'https://github.com/acme/bot/blob/x' },
      dedupKey,
    });
    const openInput = (credentialId: string) => ({
      id: randomUUID(),
      credentialId,
      dryRun: false,
      reason: 'leak',
      target: { fingerprint: 'f'.repeat(64), keyHint: 'AbCd…', versionId: 'v1' },
      plan: { playbook: 'break-glass' as const, steps: ['freeze'] },
      at: 2_000,
    });

    t.test('a duplicate signal returns the stored one', async (t) => {
      const a = await store.recordSignal(signal('gh:1'), 1_100);
      const b = await store.recordSignal({ ...signal('gh:1'), evidence: { other: true } }, 1_200);
      t.equal(a.created, true);
      t.equal(b.created, false);
      t.equal(b.signal.id, a.signal.id);
      t.same(b.signal.evidence, { repo: 'acme/bot', url: 'https://github.com/acme/bot/blob/x' });
      t.equal(b.signal.receivedAt, 1_100);
      t.same((await store.listSignals({ credentialId: 'bybit-prod' })).map((s) => s.id), [a.signal.id]);
    });

    t.test('a signal keeps the key version it matched; one without a match reads null', async (t) => {
      const match = { key: 'credential' as const, stage: 'AWSPREVIOUS' as const, versionId: 'v-old', field: 'api_key' as const, revoked: false };
      const matched = await store.recordSignal({ ...signal('gh:match'), match }, 1_100);
      t.same((await store.getSignal(matched.signal.id))?.match, match);
      const bare = await store.recordSignal(signal('gh:nomatch'), 1_100);
      t.equal((await store.getSignal(bare.signal.id))?.match, null);
    });

    t.test('two concurrent attempts to open an incident for one credential give exactly one', async (t) => {
      const results = await Promise.all(Array.from({ length: 8 }, () => store.openIncident(openInput('cred-race'))));
      t.equal(results.filter((r) => r.created).length, 1);
      t.equal(new Set(results.map((r) => r.incident.id)).size, 1);
      t.equal((await store.listIncidents({ credentialId: 'cred-race', active: true })).length, 1);
      // Once it is closed, a new one may open.
      const first = results[0]!.incident;
      await store.updateIncident(first.id, { state: 'resolved', at: 3_000 });
      const again = await store.openIncident(openInput('cred-race'));
      t.equal(again.created, true);
      t.not(again.incident.id, first.id);
      t.equal((await store.getIncident(first.id))?.closedAt, 3_000);
      t.same(await store.getPlan(again.incident.id), { playbook: 'break-glass', steps: ['freeze'] });
      t.equal(again.incident.playbook, 'break-glass', 'the playbook is read from the plan');
    });

    t.test('an expired lease can be taken over and a live one cannot; the fence grows', async (t) => {
      const a = await store.acquireLease('incident:x', 'replica-a', 1_000, 10_000);
      t.ok(a);
      t.equal(a!.fence, 1);
      t.equal(await store.acquireLease('incident:x', 'replica-b', 1_000, 10_500), undefined, 'live lease refused');
      const renewed = await store.acquireLease('incident:x', 'replica-a', 1_000, 10_600);
      t.equal(renewed?.fence, 1, 'renewal by the holder keeps the fence');
      const b = await store.acquireLease('incident:x', 'replica-b', 1_000, 11_700);
      t.equal(b?.holder, 'replica-b');
      t.equal(b?.fence, 2);
      t.equal(await store.renewLease({ lease: 'incident:x', holder: 'replica-a', token: 1 }, 1_000, 11_800), false);
      t.equal(await store.renewLease({ lease: 'incident:x', holder: 'replica-b', token: 2 }, 1_000, 11_800), true);
      await store.releaseLease({ lease: 'incident:x', holder: 'replica-b', token: 2 });
      const c = await store.acquireLease('incident:x', 'replica-a', 1_000, 11_900);
      t.equal(c?.fence, 3, 'a release never resets the fence');
    });

    t.test('concurrent takeovers of an expired lease give exactly one holder', async (t) => {
      await store.acquireLease('incident:y', 'old', 10, 0);
      const got = await Promise.all(['r1', 'r2', 'r3', 'r4'].map((h) => store.acquireLease('incident:y', h, 1_000, 100)));
      t.equal(got.filter(Boolean).length, 1);
    });

    t.test('a write with a stale fencing number is refused', async (t) => {
      const { incident } = await store.openIncident(openInput('cred-fence'));
      const lease = `incident:${incident.id}`;
      const first = await store.acquireLease(lease, 'a', 1_000, 5_000);
      const fenceA: Fence = { lease, holder: 'a', token: first!.fence };
      await store.startStep({ incidentId: incident.id, step: 'freeze', attempt: 1, at: 5_100 }, fenceA);
      const second = await store.acquireLease(lease, 'b', 1_000, 6_500);
      const fenceB: Fence = { lease, holder: 'b', token: second!.fence };
      await t.rejects(store.finishStep({ incidentId: incident.id, step: 'freeze', attempt: 1, status: 'succeeded', at: 6_600, outputs: {}, error: null }, fenceA), StaleFenceError);
      await t.rejects(store.appendTimeline({ incidentId: incident.id, at: 6_600, actor: 'system:runner', type: 'x', message: 'late', data: {} }, fenceA), StaleFenceError);
      await t.rejects(store.updateIncident(incident.id, { state: 'resolved', at: 6_600 }, fenceA), StaleFenceError);
      // Expired but not yet taken over: still refused (the holder stalled past its lease).
      await t.rejects(store.appendTimeline({ incidentId: incident.id, at: 9_000, actor: 'system:runner', type: 'x', message: 'stalled', data: {} }, fenceB), StaleFenceError);
      const runs = await store.listStepRuns(incident.id);
      t.equal(runs[0]?.status, 'running', 'the stale finish changed nothing');
      t.same((await store.listTimeline(incident.id)).map((e) => e.message), []);
      const again = await store.startStep({ incidentId: incident.id, step: 'freeze', attempt: 1, at: 6_700 }, fenceB);
      t.equal(again.startedAt, 5_100, 'starting a started step returns the journal row');
      const done = await store.finishStep({ incidentId: incident.id, step: 'freeze', attempt: 1, status: 'succeeded', at: 6_800, outputs: { replicas: 3 }, error: null }, fenceB);
      t.same(done.outputs, { replicas: 3 });
      t.equal(done.finishedAt, 6_800);
    });

    t.test('fenced rows record their writer; unfenced ones record none', async (t) => {
      const { incident } = await store.openIncident(openInput('cred-writer'));
      const lease = `incident:${incident.id}`;
      const a = await store.acquireLease(lease, 'a', 1_000, 20_000);
      const fenceA: Fence = { lease, holder: 'a', token: a!.fence };
      const started = await store.startStep({ incidentId: incident.id, step: 'freeze', attempt: 1, at: 20_100 }, fenceA);
      t.same(started.writer, { holder: 'a', fence: a!.fence });
      await store.appendTimeline({ incidentId: incident.id, at: 20_100, actor: 'system:runner', type: 'step.started', message: 'freeze', data: {} }, fenceA);
      await store.appendTimeline({ incidentId: incident.id, at: 20_200, actor: 'user:alice', type: 'incident.abort_requested', message: 'stop', data: {} });
      const b = await store.acquireLease(lease, 'b', 1_000, 21_500);
      const fenceB: Fence = { lease, holder: 'b', token: b!.fence };
      const done = await store.finishStep({ incidentId: incident.id, step: 'freeze', attempt: 1, status: 'succeeded', at: 21_600, outputs: {}, error: null }, fenceB);
      t.same(done.writer, { holder: 'b', fence: b!.fence }, 'the finisher is the writer of record');
      t.same((await store.listStepRuns(incident.id)).map((r) => r.writer), [{ holder: 'b', fence: b!.fence }]);
      t.same(
        (await store.listTimeline(incident.id)).map((e) => e.writer),
        [{ holder: 'a', fence: a!.fence }, null],
      );
    });

    t.test('timeline order is stable', async (t) => {
      const id = randomUUID();
      const writes = Array.from({ length: 25 }, (_, i) => ({ incidentId: id, at: 1_000, actor: 'system:test' as const, type: 'note', message: `m${i}`, data: { i } }));
      for (const w of writes) await store.appendTimeline(w);
      const first = await store.listTimeline(id);
      const second = await store.listTimeline(id);
      t.same(first.map((e) => e.message), writes.map((w) => w.message));
      t.same(second.map((e) => e.seq), first.map((e) => e.seq));
      t.ok(first.every((e, i) => i === 0 || e.seq > first[i - 1]!.seq));
    });

    const work = (id: string, more: Partial<WorkInput> = {}): WorkInput => ({ id, kind: 'test', incidentId: 'i1', payload: { n: id }, runAt: 500, at: 100, ...more });

    t.test('work: enqueueing an id twice keeps the first; nothing is claimed before its time or of another kind', async (t) => {
      const first = await store.enqueueWork(work('w:idem', { payload: { keyHint: 'AbCd…' } }));
      const again = await store.enqueueWork(work('w:idem', { runAt: 999, payload: {} }));
      t.equal(first.created, true);
      t.equal(again.created, false);
      t.match(again.item, { runAt: 500, payload: { keyHint: 'AbCd…' }, status: 'pending', attempts: 0, maxAttempts: WORK_RETRY.maxAttempts, claimedBy: null });
      t.same(await store.claimWork('a', { kinds: ['test'], now: 400, claimTtlMs: 1_000, limit: 10 }), [], 'not due yet');
      t.same(await store.claimWork('a', { kinds: ['other'], now: 600, claimTtlMs: 1_000, limit: 10 }), [], 'another kind');
      t.equal(await store.nextWorkAt(['test']), 500);
      t.equal(await store.nextWorkAt(['other']), undefined);
      const [claimed] = await store.claimWork('a', { kinds: ['test'], now: 600, claimTtlMs: 1_000, limit: 10 });
      t.equal(claimed?.id, 'w:idem');
      t.equal(await store.nextWorkAt(['test']), 1_600, 'a live claim counts until it lapses');
      t.equal(await store.completeWork(claimed!, 700), true);
      t.match(await store.getWork('w:idem'), { status: 'done', finishedAt: 700 });
      t.same(await store.claimWork('c', { kinds: ['test'], now: 50_000, claimTtlMs: 1_000, limit: 10 }), [], 'a done item is never claimed again');
      t.equal(await store.nextWorkAt(['test']), undefined);
    });

    t.test('work: enqueues made together are each kept once, the first of an id wins, and each answer is the stored row', async (t) => {
      await store.enqueueWork(work('w:together:old', { kind: 'together', payload: { first: 'earlier' } }));
      const ids = Array.from({ length: 30 }, (_, i) => `w:together:${i}`);
      const results = await Promise.all([
        ...ids.map((id) => store.enqueueWork(work(id, { kind: 'together', payload: { first: true }, maxAttempts: 7 }))),
        store.enqueueWork(work(ids[3]!, { kind: 'together', payload: { first: false } })),
        store.enqueueWork(work('w:together:old', { kind: 'together', payload: { first: false } })),
      ]);
      t.same(results.map((r) => r.created), [...ids.map(() => true), false, false]);
      t.same(results[ids.length]!.item, results[3]!.item, 'a second enqueue of an id in the same batch gets the first one stored');
      t.same(results[ids.length + 1]!.item.payload, { first: 'earlier' }, 'one of an id stored before gets that row');
      for (const r of results) t.same(await store.getWork(r.item.id), r.item, 'what enqueue answered is what is stored');
      t.equal((await store.listWork({ kind: 'together', limit: 100 })).length, ids.length + 1);
    });

    t.test('work: a payload that cannot be stored fails its own enqueue only, not the others made with it', async (t) => {
      const [bad, good] = await Promise.allSettled([
        store.enqueueWork(work('w:unstorable', { kind: 'alone', payload: { n: 1n } })),
        store.enqueueWork(work('w:beside', { kind: 'alone' })),
      ]);
      t.equal(bad.status, 'rejected');
      t.match(good, { status: 'fulfilled', value: { created: true, item: { id: 'w:beside' } } });
      t.same((await store.listWork({ kind: 'alone' })).map((w) => w.id), ['w:beside']);
    });

    t.test('work: concurrent claimers get each item exactly once', async (t) => {
      const ids = Array.from({ length: 24 }, (_, i) => `w:race:${String(i).padStart(2, '0')}`);
      for (const id of ids) await store.enqueueWork(work(id, { kind: 'race' }));
      const claims = await Promise.all(['a', 'b', 'c', 'd'].map((h) => store.claimWork(h, { kinds: ['race'], now: 600, claimTtlMs: 1_000, limit: 24 })));
      const got = claims.flat().map((w) => w.id);
      t.same([...got].sort(), ids, 'every item claimed, none twice');
      t.ok(claims.every((c, i) => c.every((w) => w.claimedBy === 'abcd'[i])), 'each claimed by the claimer that got it');
    });

    t.test('work: a live claim is handed to nobody; a lapsed one is, and the stale holder can no longer finish it', async (t) => {
      await store.enqueueWork(work('w:lapse', { kind: 'lapse' }));
      const claim = (h: string, now: number) => store.claimWork(h, { kinds: ['lapse'], now, claimTtlMs: 1_000, limit: 10 });
      const [a] = await claim('a', 600);
      t.same(await claim('b', 1_500), [], 'live claim: not to another claimer');
      t.same(await claim('a', 1_500), [], 'nor to the same one (it would run twice)');
      const [b] = await claim('b', 1_600);
      t.equal(b?.claimedBy, 'b', 'a lapsed claim is re-claimable');
      t.ok(b!.claim > a!.claim);
      t.equal(await store.completeWork(a!, 1_700), false, 'stale complete refused');
      t.equal(await store.failWork(a!, 'late', 1_700), undefined, 'stale fail refused');
      t.equal(await store.releaseWork(a!, 1_700), false, 'stale release refused');
      t.equal(await store.extendWork(a!, 9_000), false, 'stale extension refused');
      t.equal(await store.extendWork(b!, 2_900), true, 'the live claim is extended');
      t.same(await claim('c', 2_800), [], 'and holds past its first time to live');
      t.match(await store.getWork('w:lapse'), { status: 'pending', attempts: 0, claimedBy: 'b' });
      t.equal(await store.releaseWork(b!, 5_000), true, 'handed back untried');
      t.match(await store.getWork('w:lapse'), { status: 'pending', attempts: 0, claimedBy: null, runAt: 5_000 });
      t.same(await claim('c', 4_999), [], 'not before its new time');
      const [c] = await claim('c', 5_000);
      t.equal(await store.completeWork(c!, 5_100), true);
    });

    t.test('work: a failure is retried with backoff, then dead-lettered with its last error', async (t) => {
      await store.enqueueWork(work('w:fail', { kind: 'flaky', maxAttempts: 3 }));
      const claim = (now: number) => store.claimWork('a', { kinds: ['flaky'], now, claimTtlMs: 1_000, limit: 10 });
      const [one] = await claim(600);
      const failed = await store.failWork(one!, 'exchange said 503', 700);
      t.match(failed, { status: 'pending', attempts: 1, lastError: 'exchange said 503', runAt: 700 + defaultRetryInMs(1), claimedBy: null });
      t.same(await claim(700 + defaultRetryInMs(1) - 1), [], 'not before the default backoff');
      const [two] = await claim(700 + defaultRetryInMs(1));
      t.ok(defaultRetryInMs(2) === 2 * defaultRetryInMs(1) && defaultRetryInMs(40) === WORK_RETRY.maxMs, 'the default backoff doubles, up to a cap');
      const again = await store.failWork(two!, 'timed out', 2_000, 50);
      t.match(again, { attempts: 2, runAt: 2_050 }, "the caller's backoff");
      const [three] = await claim(2_050);
      const dead = await store.failWork(three!, 'still 503', 3_000);
      t.match(dead, { status: 'dead', attempts: 3, lastError: 'still 503', finishedAt: 3_000 });
      t.same(await claim(1_000_000), [], 'a dead item is never claimed again');
      t.same((await store.listWork({ status: 'dead' })).map((w) => [w.id, w.lastError]), [['w:fail', 'still 503']], 'kept and listable');
      t.same((await store.listWork({ incidentId: 'i1', kind: 'flaky' })).map((w) => w.id), ['w:fail']);
    });

    t.test('pauses, human tasks, baselines and audit', async (t) => {
      await store.setPause({ scope: 'global', actor: 'user:alice', reason: 'drill', at: 1 });
      await store.setPause({ scope: 'global', actor: 'user:bob', reason: 'again', at: 2 });
      await store.setPause({ scope: 'bybit-prod', actor: 'user:bob', reason: 'maint', at: 3 });
      t.same((await store.listPauses()).map((p) => [p.scope, p.actor]), [['bybit-prod', 'user:bob'], ['global', 'user:bob']]);
      await store.clearPause('global');
      t.same((await store.listPauses()).map((p) => p.scope), ['bybit-prod']);

      const task = await store.createHumanTask({ id: 'task-1', incidentId: 'i2', step: 'revoke', instructions: 'Delete the key AbCd… in the Binance UI', createdAt: 10 });
      t.equal(task.status, 'open');
      const done = await store.completeHumanTask('task-1', 'user:alice', { confirmed: true }, 20);
      t.equal(done?.status, 'done');
      t.same(done?.result, { confirmed: true });
      t.equal(await store.completeHumanTask('task-1', 'user:bob', {}, 30), undefined, 'completes once');
      t.same((await store.listHumanTasks({ status: 'open' })).length, 0);

      t.equal(await store.getBaseline('auth-errors', 'bybit-prod'), undefined);
      await store.putBaseline('auth-errors', 'bybit-prod', { rate: 1 }, 1);
      await store.putBaseline('auth-errors', 'bybit-prod', { rate: 2 }, 2);
      t.same(await store.getBaseline('auth-errors', 'bybit-prod'), { rate: 2 });

      await store.appendAudit({ at: 1, actor: 'user:alice', action: 'pause', target: 'global', data: {} });
      await store.appendAudit({ at: 2, actor: 'user:bob', action: 'resume', target: 'global', data: {} });
      t.same((await store.listAudit()).map((a) => a.action), ['resume', 'pause']);
    });

    t.test("own calls: one record per request id, the first kept, read back by id", async (t) => {
      t.equal(await store.getOwnCall('req-1'), undefined);
      await store.recordOwnCall({ requestId: 'req-1', service: 'Secrets Manager', operation: 'GetSecretValue', target: 'prod/bybit/trading', at: 1_700_000_000_123 });
      await store.recordOwnCall({ requestId: 'req-1', service: 'Secrets Manager', operation: 'PutSecretValue', target: null, at: 2 });
      await store.recordOwnCall({ requestId: 'req-2', service: 'Secrets Manager', operation: 'ListSecretVersionIds', target: null, at: 3 });
      t.same(await store.getOwnCall('req-1'), { requestId: 'req-1', service: 'Secrets Manager', operation: 'GetSecretValue', target: 'prod/bybit/trading', at: 1_700_000_000_123 });
      t.same(await store.getOwnCall('req-2'), { requestId: 'req-2', service: 'Secrets Manager', operation: 'ListSecretVersionIds', target: null, at: 3 });
    });

    t.test('operator requests: one per kind and step, the first kept, listed in order', async (t) => {
      const { incident } = await store.openIncident(openInput('cred-requests'));
      const abort = { incidentId: incident.id, kind: 'abort' as const, step: null, actor: 'user:bob' as const, reason: 'false positive', at: 10 };
      t.same(await store.addRequest(abort), { request: abort, created: true });
      t.same(await store.addRequest({ ...abort, actor: 'user:eve', reason: 'again', at: 11 }), { request: abort, created: false }, 'a second abort keeps the first');
      const approve = (step: string, at: number) => ({ incidentId: incident.id, kind: 'approve' as const, step, actor: 'user:carol' as const, reason: 'ok', at });
      const results = await Promise.all([store.addRequest(approve('restore', 12)), store.addRequest(approve('restore', 12))]);
      t.same(results.map((r) => r.created).sort(), [false, true], 'concurrent approvals of one step record one');
      await store.addRequest(approve('verify', 13));
      t.same((await store.listRequests(incident.id)).map((r) => [r.kind, r.step, r.actor]), [['abort', null, 'user:bob'], ['approve', 'restore', 'user:carol'], ['approve', 'verify', 'user:carol']]);
      t.same(await store.listRequests('no-such-incident'), []);
    });

    t.test('incident queries: state, playbook, time, cursor pages; timeline after a seq; audit pages', async (t) => {
      const cred = 'cred-pages';
      const opened = [];
      for (let i = 0; i < 5; i++) {
        const plan = { playbook: i % 2 ? ('scheduled' as const) : ('emergency' as const), steps: [] };
        const { incident } = await store.openIncident({ ...openInput(`${cred}-${i}`), plan, at: 10_000 + i });
        opened.push(incident);
      }
      await store.updateIncident(opened[1]!.id, { state: 'needs_attention', at: 10_100 });
      const ids = async (f: Parameters<typeof store.listIncidents>[0]) => (await store.listIncidents(f)).filter((i) => i.credentialId.startsWith(cred)).map((i) => i.id);
      const newest = [...opened].reverse().map((i) => i.id);
      t.same(await ids({ since: 10_000 }), newest, 'newest first');
      t.same(await ids({ since: 10_000, playbook: 'scheduled' }), [opened[3]!.id, opened[1]!.id]);
      t.same(await ids({ since: 10_000, playbook: 'scheduled', limit: 1 }), [opened[3]!.id], 'a filtered page is filled across pages');
      t.same(await ids({ state: 'needs_attention' }), [opened[1]!.id]);
      t.same(await ids({ since: 10_001, until: 10_003 }), [opened[2]!.id, opened[1]!.id]);
      const first = await store.listIncidents({ since: 10_000, limit: 2 });
      const last = first.at(-1)!;
      t.same((await store.listIncidents({ since: 10_000, limit: 10, after: { openedAt: last.openedAt, id: last.id } })).map((i) => i.id), newest.slice(2), 'the next page starts after the cursor');

      const id = opened[0]!.id;
      const a = await store.appendTimeline({ incidentId: id, at: 1, actor: 'system:test', type: 'a', message: 'a', data: {} });
      await store.appendTimeline({ incidentId: id, at: 2, actor: 'system:test', type: 'b', message: 'b', data: {} });
      t.same((await store.listTimeline(id, a.seq)).map((e) => e.type), ['b']);

      const audits = [];
      for (const action of ['x1', 'x2', 'x3']) audits.push(await store.appendAudit({ at: 1, actor: 'user:alice', action, target: 'pages', data: {} }));
      t.same((await store.listAudit(10, audits[2]!.seq)).slice(0, 2).map((e) => e.action), ['x2', 'x1']);
    });

    t.test('idempotency keys: one request runs, a replay reads its answer, a failed one can run again', async (t) => {
      const results = await Promise.all([store.beginIdempotent('k1', 'POST /a', 100, 0), store.beginIdempotent('k1', 'POST /a', 100, 0)]);
      t.same(results.map((r) => r.created).sort(), [false, true], 'concurrent requests: one runs');
      t.equal(results[0]!.record.status, null, 'pending while it runs');
      await store.finishIdempotent('k1', 201, { id: 'x' });
      const replay = await store.beginIdempotent('k1', 'POST /a', 200, 150);
      t.same([replay.created, replay.record.status, replay.record.body], [false, 201, { id: 'x' }], 'a finished key is never taken over');
      await store.beginIdempotent('k2', 'POST /b', 100, 0);
      t.equal((await store.beginIdempotent('k2', 'POST /b', 200, 50)).created, false, 'a pending key is not taken over while it is fresh');
      t.equal((await store.beginIdempotent('k2', 'POST /b', 200, 150)).created, true, 'a pending key whose request died is taken over');
      await store.dropIdempotent('k2');
      t.equal((await store.beginIdempotent('k2', 'POST /b', 300, 0)).created, true, 'a dropped key runs again');
    });

    t.test('registered secrets never reach a row', async (t) => {
      const secret = 'sk_live_PLANTED_9f8e7d6c5b4a';
      scrubber.register(secret);
      const { incident } = await store.openIncident({ ...openInput('cred-secret'), reason: `leak of ${secret}` });
      await store.addRequest({ incidentId: incident.id, kind: 'abort', step: null, actor: 'user:bob', reason: `pasted ${secret} by mistake`, at: 1 });
      await store.appendTimeline({ incidentId: incident.id, at: 1, actor: 'system:test', type: 'x', message: `error: key ${secret} invalid`, data: { echoed: `origin_string[${secret}]` } });
      await store.recordSignal({ ...signal('gh:secret'), evidence: { snippet: secret } }, 1);
      await store.enqueueWork({ id: 'w:secret', kind: 'secret', payload: { echoed: secret }, runAt: 1, at: 1 });
      const [claimed] = await store.claimWork('a', { kinds: ['secret'], now: 1, claimTtlMs: 1_000, limit: 1 });
      await store.failWork(claimed!, `403 for key ${secret}`, 2);
      const work = await store.getWork('w:secret');
      t.match(work?.lastError, '403 for key [REDACTED]');
      const rows = JSON.stringify([await store.getIncident(incident.id), await store.listTimeline(incident.id), await store.listSignals({}), work, await store.listRequests(incident.id)]);
      t.notMatch(rows, secret);
      t.match(rows, '[REDACTED]');
    });

    t.test('retention prunes old loose signals, done work of no running incident and stale baselines; incidents and their records stay', async (t) => {
      // A store of its own: pruning must not reach the rows of the other tests.
      const { store: s, cleanup: done } = await open();
      t.teardown(done);
      const OLD = 1_000;
      const CUT = 10_000;
      const NEW = 20_000;
      const finished = async (id: string, at: number, incidentId: string | null = null) => {
        await s.enqueueWork({ id, kind: 'k', incidentId, payload: {}, runAt: at, at });
        const [c] = await s.claimWork('a', { kinds: ['k'], now: at, claimTtlMs: 1_000, limit: 1 });
        t.equal(c?.id, id);
        t.ok(await s.completeWork(c!, at));
      };
      const closed = (await s.openIncident({ ...openInput('cred-closed'), at: OLD })).incident;
      await s.updateIncident(closed.id, { state: 'resolved', at: OLD });
      const running = (await s.openIncident({ ...openInput('cred-running'), at: OLD })).incident;
      const loose = await s.recordSignal(signal('old-loose'), OLD);
      const evidence = await s.recordSignal(signal('old-evidence'), OLD);
      await s.attachSignal(evidence.signal.id, closed.id);
      const fresh = await s.recordSignal(signal('new-loose'), NEW);
      await s.appendTimeline({ incidentId: closed.id, at: OLD, actor: 'system:test', type: 'x', message: 'old', data: {} });
      await s.appendAudit({ at: OLD, actor: 'user:alice', action: 'pause', target: 'global', data: {} });
      await finished('old-delivery', OLD);
      await finished('old-timer-closed', OLD, closed.id);
      await finished('old-timer-running', OLD, running.id);
      await finished('new-delivery', NEW);
      await s.enqueueWork({ id: 'old-pending', kind: 'later', payload: {}, runAt: OLD, at: OLD });
      await s.enqueueWork({ id: 'old-dead', kind: 'd', payload: {}, runAt: OLD, at: OLD, maxAttempts: 1 });
      const [d] = await s.claimWork('a', { kinds: ['d'], now: OLD, claimTtlMs: 1_000, limit: 1 });
      t.equal((await s.failWork(d!, 'boom', OLD))?.status, 'dead');
      await s.putBaseline('gh', 'stale', 1, OLD);
      await s.putBaseline('gh', 'fresh', 2, NEW);
      await s.recordOwnCall({ requestId: 'old-call', service: 'Secrets Manager', operation: 'GetSecretValue', target: null, at: OLD });
      await s.recordOwnCall({ requestId: 'new-call', service: 'Secrets Manager', operation: 'GetSecretValue', target: null, at: NEW });

      t.same(await s.prune(CUT), { signals: 1, work: 2, baselines: 1, ownCalls: 1 });
      t.equal(await s.getOwnCall('old-call'), undefined);
      t.ok(await s.getOwnCall('new-call'));
      t.equal(await s.getSignal(loose.signal.id), undefined);
      t.ok(await s.getSignal(evidence.signal.id), "an incident's signal is kept");
      t.ok(await s.getSignal(fresh.signal.id));
      t.equal(await s.getWork('old-delivery'), undefined);
      t.equal(await s.getWork('old-timer-closed'), undefined);
      t.ok(await s.getWork('old-timer-running'), 'a running incident keeps its timers');
      t.ok(await s.getWork('new-delivery'));
      t.ok(await s.getWork('old-pending'), 'pending work is never pruned');
      t.ok(await s.getWork('old-dead'), 'dead letters stay for the operator');
      t.equal(await s.getBaseline('gh', 'stale'), undefined);
      t.equal(await s.getBaseline('gh', 'fresh'), 2);
      t.ok(await s.getIncident(closed.id));
      t.ok(await s.getIncident(running.id));
      t.equal((await s.listTimeline(closed.id)).length, 1);
      t.equal((await s.listAudit()).length, 1);
      t.same(await s.prune(CUT), { signals: 0, work: 0, baselines: 0, ownCalls: 0 }, 'a second pass finds nothing');
    });
  });
}

t.test('postgres: a fresh schema migrates while another schema of the database already holds migration tables', async (t) => {
  const other = await BACKENDS.postgres();
  t.teardown(other.cleanup);
  const fresh = await BACKENDS.postgres();
  t.teardown(fresh.cleanup);
  await fresh.store.ping();
  t.equal(await fresh.store.getLease('nothing'), undefined);
});
