import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import { isActive, type Actor, type Incident, type StepRun, type TimelineEntry, type TimelineEntryInput } from '../core/incident.js';
import type { Signal, SignalInput } from '../core/signal.js';
import type { Scrubber } from '../core/scrubber.js';
import type { Database, WorkItemsTable } from './schema.js';
import { GroupCommit } from './group-commit.js';
import { InProcessWakeBus, type WakeBus } from './wakeups.js';
import type { Dialect } from './migrations/index.js';
import { toAudit, toHumanTask, toIdempotent, toIncident, toLease, toPause, toRequest, toSignal, toStepRun, toTimeline, toWorkItem } from './rows.js';
import {
  defaultRetryInMs,
  PlanChangedError,
  StaleFenceError,
  WORK_RETRY,
  type AuditEntry,
  type Fence,
  type HumanTask,
  type IdempotentRecord,
  type IncidentFilter,
  type IncidentPatch,
  type OperatorRequest,
  type OwnCall,
  type Lease,
  type OpenIncidentInput,
  type Pause,
  type Pruned,
  type Store,
  type Wake,
  type WakeSubscription,
  type WorkInput,
  type WorkItem,
  type WrittenBy,
} from './store.js';

type Db = Kysely<Database> | Transaction<Database>;
type WorkRow = Selectable<WorkItemsTable>;

/**
 * The Store on Kysely: one implementation, two dialects. Everything textual is scrubbed of
 * registered secrets on the way in, so no row can ever hold one.
 */
export class KyselyStore implements Store {
  readonly multiReplica: boolean;

  constructor(
    private readonly db: Kysely<Database>,
    readonly dialect: Dialect,
    private readonly scrubber: Scrubber,
    private readonly wakes: WakeBus = new InProcessWakeBus(),
  ) {
    this.multiReplica = dialect === 'postgres';
  }

  async ping(): Promise<void> {
    await this.db.selectFrom('leases').select('name').limit(1).execute();
  }

  async close(): Promise<void> {
    await this.#enqueues.drain();
    await this.wakes.close();
    await this.db.destroy();
  }

  wake(wake: Wake): Promise<void> {
    return this.wakes.notify(wake);
  }

  onWake(listener: (wake: Wake) => void): WakeSubscription {
    return this.wakes.subscribe(listener);
  }

  /** A hint after a committed write; losing one only delays the work until the poll, so it never fails the write. */
  async #hint(wake: Wake): Promise<void> {
    await this.wakes.notify(wake).catch(() => {});
  }

  #text(s: string): string {
    return this.scrubber.scrub(s);
  }

  #json(v: unknown): string {
    return this.scrubber.scrub(JSON.stringify(v ?? {}));
  }

  /** Runs `fn` in a transaction that first proves the fence is current (and locks the lease row). */
  async #fenced<T>(fence: Fence | undefined, now: number, fn: (trx: Db) => Promise<T>): Promise<T> {
    if (!fence) return fn(this.db);
    return this.db.transaction().execute(async (trx) => {
      const res = await trx
        .updateTable('leases')
        .set((eb) => ({ fence: eb.ref('fence') }))
        .where('name', '=', fence.lease)
        .where('holder', '=', fence.holder)
        .where('fence', '=', fence.token)
        .where('expires_at', '>', now)
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) !== 1) throw new StaleFenceError(fence);
      return fn(trx);
    });
  }

  // ---- signals

  async recordSignal(input: SignalInput, receivedAt: number): Promise<{ signal: Signal; created: boolean }> {
    const res = await this.db
      .insertInto('signals')
      .values({
        id: randomUUID(),
        dedup_key: input.dedupKey,
        source: input.source,
        kind: input.kind,
        credential_id: input.credentialId,
        confidence: input.confidence,
        observed_at: input.observedAt,
        received_at: receivedAt,
        evidence_json: this.#json(input.evidence),
        match_json: input.match ? this.#json(input.match) : null,
        incident_id: null,
      })
      .onConflict((oc) => oc.column('dedup_key').doNothing())
      .executeTakeFirst();
    const row = await this.db.selectFrom('signals').selectAll().where('dedup_key', '=', input.dedupKey).executeTakeFirstOrThrow();
    return { signal: toSignal(row), created: Number(res.numInsertedOrUpdatedRows ?? 0n) === 1 };
  }

  async getSignal(id: string): Promise<Signal | undefined> {
    const row = await this.db.selectFrom('signals').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toSignal(row);
  }

  async listSignals(filter: { credentialId?: string; incidentId?: string; since?: number; limit?: number }): Promise<Signal[]> {
    let q = this.db.selectFrom('signals').selectAll();
    if (filter.credentialId) q = q.where('credential_id', '=', filter.credentialId);
    if (filter.incidentId) q = q.where('incident_id', '=', filter.incidentId);
    if (filter.since !== undefined) q = q.where('received_at', '>=', filter.since);
    const rows = await q.orderBy('received_at', 'desc').orderBy('id').limit(filter.limit ?? 100).execute();
    return rows.map(toSignal);
  }

  async attachSignal(signalId: string, incidentId: string): Promise<void> {
    await this.db.updateTable('signals').set({ incident_id: incidentId }).where('id', '=', signalId).execute();
  }

  // ---- incidents

  async openIncident(input: OpenIncidentInput): Promise<{ incident: Incident; created: boolean }> {
    const res = await this.db
      .insertInto('incidents')
      .values({
        id: input.id,
        credential_id: input.credentialId,
        state: 'open',
        dry_run: input.dryRun ? 1 : 0,
        target_json: input.target ? this.#json(input.target) : null,
        plan_json: this.#json(input.plan),
        reason: this.#text(input.reason),
        opened_at: input.at,
        updated_at: input.at,
        closed_at: null,
      })
      .onConflict((oc) => oc.column('credential_id').where('closed_at', 'is', null).doNothing())
      .executeTakeFirst();
    const created = Number(res.numInsertedOrUpdatedRows ?? 0n) === 1;
    const incident = created ? await this.getIncident(input.id) : await this.getActiveIncident(input.credentialId);
    if (!incident) throw new Error(`incident for ${input.credentialId} vanished while opening; retry the request`);
    // Without its target the first steps cannot run yet: the hint comes when the target is recorded.
    if (created && input.target) await this.#hint({ topic: 'incident', id: incident.id });
    return { incident, created };
  }

  async getIncident(id: string): Promise<Incident | undefined> {
    const row = await this.db.selectFrom('incidents').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toIncident(row);
  }

  async getActiveIncident(credentialId: string): Promise<Incident | undefined> {
    const row = await this.db.selectFrom('incidents').selectAll().where('credential_id', '=', credentialId).where('closed_at', 'is', null).executeTakeFirst();
    return row && toIncident(row);
  }

  async listIncidents(filter: IncidentFilter): Promise<Incident[]> {
    const limit = filter.limit ?? 100;
    let q = this.db.selectFrom('incidents').selectAll();
    if (filter.active !== undefined) q = q.where('closed_at', filter.active ? 'is' : 'is not', null);
    if (filter.credentialId) q = q.where('credential_id', '=', filter.credentialId);
    if (filter.state) q = q.where('state', '=', filter.state);
    if (filter.since !== undefined) q = q.where('opened_at', '>=', filter.since);
    if (filter.until !== undefined) q = q.where('opened_at', '<', filter.until);
    const out: Incident[] = [];
    // The playbook lives in the plan's JSON: filtered here, page by page, so a page is still full.
    for (let after = filter.after; out.length < limit; ) {
      let page = q;
      if (after) {
        const { openedAt, id } = after;
        page = page.where((eb) => eb.or([eb('opened_at', '<', openedAt), eb.and([eb('opened_at', '=', openedAt), eb('id', '>', id)])]));
      }
      const rows = (await page.orderBy('opened_at', 'desc').orderBy('id').limit(limit).execute()).map(toIncident);
      out.push(...rows.filter((i) => !filter.playbook || i.playbook === filter.playbook));
      if (rows.length < limit) break;
      const last = rows.at(-1)!;
      after = { openedAt: last.openedAt, id: last.id };
    }
    return out.slice(0, limit);
  }

  async getPlan(incidentId: string): Promise<unknown> {
    const row = await this.db.selectFrom('incidents').select('plan_json').where('id', '=', incidentId).executeTakeFirst();
    return row?.plan_json ? (JSON.parse(row.plan_json) as unknown) : undefined;
  }

  async updateIncident(id: string, patch: IncidentPatch, fence?: Fence): Promise<Incident> {
    const updated = await this.#fenced(fence, patch.at, async (db) => {
      const set: Partial<Database['incidents']> = { updated_at: patch.at };
      if (patch.state) {
        set.state = patch.state;
        set.closed_at = isActive(patch.state) ? null : patch.at;
      }
      if (patch.target !== undefined) set.target_json = patch.target ? this.#json(patch.target) : null;
      if (patch.plan !== undefined) set.plan_json = this.#json(patch.plan);
      let q = db.updateTable('incidents').set(set).where('id', '=', id);
      // The stored text is the JSON of what getPlan parsed: the same plan gives the same text.
      if (patch.ifPlan !== undefined) q = q.where('plan_json', '=', this.#json(patch.ifPlan));
      const res = await q.executeTakeFirst();
      const row = await db.selectFrom('incidents').selectAll().where('id', '=', id).executeTakeFirst();
      if (!row) throw new Error(`incident ${id} does not exist`);
      if (patch.ifPlan !== undefined && Number(res.numUpdatedRows) !== 1) throw new PlanChangedError(id);
      return toIncident(row);
    });
    // A target recorded or a plan replaced gives the runner something new to act on.
    if (patch.target || patch.plan) await this.#hint({ topic: 'incident', id });
    return updated;
  }

  // ---- step runs

  async startStep(run: { incidentId: string; step: string; attempt: number; at: number }, fence: Fence): Promise<StepRun & WrittenBy> {
    return this.#fenced(fence, run.at, async (db) => {
      await db
        .insertInto('step_runs')
        .values({
          incident_id: run.incidentId,
          step: run.step,
          attempt: run.attempt,
          status: 'running',
          started_at: run.at,
          finished_at: null,
          outputs_json: '{}',
          error: null,
          holder: fence.holder,
          fence: fence.token,
        })
        .onConflict((oc) => oc.columns(['incident_id', 'step', 'attempt']).doNothing())
        .execute();
      return this.#stepRun(db, run);
    });
  }

  async finishStep(
    run: { incidentId: string; step: string; attempt: number; status: StepRun['status']; at: number; outputs: Record<string, unknown>; error: string | null },
    fence: Fence,
  ): Promise<StepRun & WrittenBy> {
    return this.#fenced(fence, run.at, async (db) => {
      await db
        .updateTable('step_runs')
        .set({
          status: run.status,
          finished_at: run.at,
          outputs_json: this.#json(run.outputs),
          error: run.error === null ? null : this.#text(run.error),
          holder: fence.holder,
          fence: fence.token,
        })
        .where('incident_id', '=', run.incidentId)
        .where('step', '=', run.step)
        .where('attempt', '=', run.attempt)
        .execute();
      return this.#stepRun(db, run);
    });
  }

  async #stepRun(db: Db, key: { incidentId: string; step: string; attempt: number }): Promise<StepRun & WrittenBy> {
    const row = await db
      .selectFrom('step_runs')
      .selectAll()
      .where('incident_id', '=', key.incidentId)
      .where('step', '=', key.step)
      .where('attempt', '=', key.attempt)
      .executeTakeFirstOrThrow();
    return toStepRun(row);
  }

  async listStepRuns(incidentId: string): Promise<(StepRun & WrittenBy)[]> {
    const rows = await this.db.selectFrom('step_runs').selectAll().where('incident_id', '=', incidentId).orderBy('started_at').orderBy('step').orderBy('attempt').execute();
    return rows.map(toStepRun);
  }

  // ---- timeline

  async appendTimeline(entry: TimelineEntryInput, fence?: Fence): Promise<TimelineEntry & WrittenBy> {
    return this.#fenced(fence, entry.at, async (db) => {
      const row = await db
        .insertInto('timeline')
        .values({
          incident_id: entry.incidentId,
          at: entry.at,
          actor: entry.actor,
          type: entry.type,
          message: this.#text(entry.message),
          data_json: this.#json(entry.data),
          holder: fence?.holder ?? null,
          fence: fence?.token ?? null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toTimeline(row);
    });
  }

  async listTimeline(incidentId: string, afterSeq?: number): Promise<(TimelineEntry & WrittenBy)[]> {
    let q = this.db.selectFrom('timeline').selectAll().where('incident_id', '=', incidentId);
    if (afterSeq !== undefined) q = q.where('seq', '>', afterSeq);
    const rows = await q.orderBy('seq').execute();
    return rows.map(toTimeline);
  }

  // ---- leases

  async acquireLease(name: string, holder: string, ttlMs: number, now: number): Promise<Lease | undefined> {
    const inserted = await this.db
      .insertInto('leases')
      .values({ name, holder, fence: 1, expires_at: now + ttlMs })
      .onConflict((oc) => oc.column('name').doNothing())
      .returningAll()
      .executeTakeFirst();
    if (inserted) return toLease(inserted);
    // Ours and live: renew and keep the fence. Free or expired: take it with the next fence.
    const renewed = await this.db
      .updateTable('leases')
      .set({ expires_at: now + ttlMs })
      .where('name', '=', name)
      .where('holder', '=', holder)
      .where('expires_at', '>', now)
      .returningAll()
      .executeTakeFirst();
    if (renewed) return toLease(renewed);
    const taken = await this.db
      .updateTable('leases')
      .set((eb) => ({ holder, fence: eb('fence', '+', 1), expires_at: now + ttlMs }))
      .where('name', '=', name)
      .where('expires_at', '<=', now)
      .returningAll()
      .executeTakeFirst();
    return taken && toLease(taken);
  }

  async renewLease(fence: Fence, ttlMs: number, now: number): Promise<boolean> {
    const res = await this.db
      .updateTable('leases')
      .set({ expires_at: now + ttlMs })
      .where('name', '=', fence.lease)
      .where('holder', '=', fence.holder)
      .where('fence', '=', fence.token)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  async releaseLease(fence: Fence): Promise<void> {
    // The row stays, so the next holder's fence is still larger than every earlier one.
    await this.db.updateTable('leases').set({ expires_at: 0 }).where('name', '=', fence.lease).where('holder', '=', fence.holder).where('fence', '=', fence.token).execute();
  }

  async getLease(name: string): Promise<Lease | undefined> {
    const row = await this.db.selectFrom('leases').selectAll().where('name', '=', name).executeTakeFirst();
    return row && toLease(row);
  }

  // ---- work queue

  /** Enqueues of the same turn share one insert and one commit (see GroupCommit); each resolves once its row is committed. */
  readonly #enqueues = new GroupCommit<WorkInput, { item: WorkItem; created: boolean }>((inputs) => this.#enqueueAll(inputs));

  enqueueWork(input: WorkInput): Promise<{ item: WorkItem; created: boolean }> {
    return this.#enqueues.add(input);
  }

  async #enqueueAll(inputs: WorkInput[]): Promise<PromiseSettledResult<{ item: WorkItem; created: boolean }>[]> {
    // A payload that cannot be stored fails its own enqueue, not the others of the batch.
    const rows = inputs.map((input) => {
      try {
        return this.#workRow(input);
      } catch (err) {
        return err instanceof Error ? err : new Error(String(err));
      }
    });
    const values = rows.filter((r): r is WorkRow => !(r instanceof Error));
    const inserted = values.length ? await this.db.insertInto('work_items').values(values).onConflict((oc) => oc.column('id').doNothing()).returning('id').execute() : [];
    // An id inserted is the first of the batch with that id; any other (here or from before) keeps the stored row.
    const fresh = new Set(inserted.map((r) => r.id));
    return Promise.allSettled(
      rows.map(async (row) => {
        if (row instanceof Error) throw row;
        if (fresh.delete(row.id)) {
          await this.#hint({ topic: 'work', id: row.id });
          return { item: toWorkItem(row), created: true };
        }
        const item = await this.getWork(row.id);
        if (!item) throw new Error(`work item ${row.id} vanished while enqueueing; retry`);
        return { item, created: false };
      }),
    );
  }

  #workRow(input: WorkInput): WorkRow {
    return {
      id: input.id,
      kind: input.kind,
      incident_id: input.incidentId ?? null,
      payload_json: this.#json(input.payload),
      run_at: input.runAt,
      status: 'pending',
      attempts: 0,
      max_attempts: input.maxAttempts ?? WORK_RETRY.maxAttempts,
      last_error: null,
      claimed_by: null,
      claimed_until: null,
      claims: 0,
      created_at: input.at,
      finished_at: null,
    };
  }

  async claimWork(holder: string, opts: { kinds: readonly string[]; now: number; claimTtlMs: number; limit: number }): Promise<WorkItem[]> {
    if (!opts.kinds.length || opts.limit <= 0) return [];
    const due = await this.db
      .selectFrom('work_items')
      .select('id')
      .where('status', '=', 'pending')
      .where('kind', 'in', [...opts.kinds])
      .where('run_at', '<=', opts.now)
      .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<=', opts.now)]))
      .orderBy('run_at')
      .orderBy('id')
      .limit(opts.limit)
      .execute();
    const claimed: WorkItem[] = [];
    for (const { id } of due) {
      // One conditional update per item: of concurrent claimers only one matches the row.
      const row = await this.db
        .updateTable('work_items')
        .set((eb) => ({ claimed_by: holder, claimed_until: opts.now + opts.claimTtlMs, claims: eb('claims', '+', 1) }))
        .where('id', '=', id)
        .where('status', '=', 'pending')
        .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<=', opts.now)]))
        .returningAll()
        .executeTakeFirst();
      if (row) claimed.push(toWorkItem(row));
    }
    return claimed;
  }

  /** Only the latest claim of a pending item may change it; a lapsed but untaken claim still may (its work is done). */
  #ourClaim(claimed: WorkItem) {
    return this.db
      .updateTable('work_items')
      .where('id', '=', claimed.id)
      .where('status', '=', 'pending')
      .where('claimed_by', '=', claimed.claimedBy)
      .where('claims', '=', claimed.claim);
  }

  async completeWork(claimed: WorkItem, now: number): Promise<boolean> {
    const res = await this.#ourClaim(claimed).set({ status: 'done', finished_at: now, claimed_by: null, claimed_until: null }).executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  async failWork(claimed: WorkItem, error: string, now: number, retryInMs?: number): Promise<WorkItem | undefined> {
    const attempts = claimed.attempts + 1;
    const dead = attempts >= claimed.maxAttempts;
    const row = await this.#ourClaim(claimed)
      .where('attempts', '=', claimed.attempts)
      .set({
        attempts,
        last_error: this.#text(error),
        claimed_by: null,
        claimed_until: null,
        ...(dead ? { status: 'dead', finished_at: now } : { run_at: now + (retryInMs ?? defaultRetryInMs(attempts)) }),
      })
      .returningAll()
      .executeTakeFirst();
    // Claimable again at a new time: every worker recomputes when to look.
    if (row?.status === 'pending') await this.#hint({ topic: 'work', id: row.id });
    return row && toWorkItem(row);
  }

  async releaseWork(claimed: WorkItem, runAt: number): Promise<boolean> {
    const res = await this.#ourClaim(claimed).set({ run_at: runAt, claimed_by: null, claimed_until: null }).executeTakeFirst();
    const released = Number(res.numUpdatedRows) === 1;
    if (released) await this.#hint({ topic: 'work', id: claimed.id });
    return released;
  }

  async extendWork(claimed: WorkItem, until: number): Promise<boolean> {
    const res = await this.#ourClaim(claimed).set({ claimed_until: until }).executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  async getWork(id: string): Promise<WorkItem | undefined> {
    const row = await this.db.selectFrom('work_items').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toWorkItem(row);
  }

  async listWork(filter: { kind?: string; incidentId?: string; status?: WorkItem['status']; limit?: number }): Promise<WorkItem[]> {
    let q = this.db.selectFrom('work_items').selectAll();
    if (filter.kind) q = q.where('kind', '=', filter.kind);
    if (filter.incidentId) q = q.where('incident_id', '=', filter.incidentId);
    if (filter.status) q = q.where('status', '=', filter.status);
    return (await q.orderBy('run_at').orderBy('id').limit(filter.limit ?? 100).execute()).map(toWorkItem);
  }

  async nextWorkAt(kinds: readonly string[]): Promise<number | undefined> {
    if (!kinds.length) return undefined;
    const row = await this.db
      .selectFrom('work_items')
      .select(sql<number | string | null>`min(case when claimed_until > run_at then claimed_until else run_at end)`.as('next'))
      .where('status', '=', 'pending')
      .where('kind', 'in', [...kinds])
      .executeTakeFirst();
    return row?.next == null ? undefined : Number(row.next);
  }

  // ---- pauses

  async setPause(pause: Pause): Promise<void> {
    const values = { scope: pause.scope, actor: pause.actor, reason: this.#text(pause.reason), at: pause.at };
    await this.db
      .insertInto('pauses')
      .values(values)
      .onConflict((oc) => oc.column('scope').doUpdateSet({ actor: values.actor, reason: values.reason, at: values.at }))
      .execute();
  }

  async clearPause(scope: string): Promise<void> {
    await this.db.deleteFrom('pauses').where('scope', '=', scope).execute();
  }

  async listPauses(): Promise<Pause[]> {
    return (await this.db.selectFrom('pauses').selectAll().orderBy('scope').execute()).map(toPause);
  }

  // ---- human tasks

  async createHumanTask(task: Omit<HumanTask, 'status' | 'completedAt' | 'completedBy' | 'result'>): Promise<HumanTask> {
    await this.db
      .insertInto('human_tasks')
      .values({ id: task.id, incident_id: task.incidentId, step: task.step, instructions: this.#text(task.instructions), status: 'open', created_at: task.createdAt, completed_at: null, completed_by: null, result_json: null })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
    return (await this.getHumanTask(task.id))!;
  }

  async completeHumanTask(id: string, actor: Actor, result: Record<string, unknown>, at: number): Promise<HumanTask | undefined> {
    const res = await this.db
      .updateTable('human_tasks')
      .set({ status: 'done', completed_at: at, completed_by: actor, result_json: this.#json(result) })
      .where('id', '=', id)
      .where('status', '=', 'open')
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1 ? this.getHumanTask(id) : undefined;
  }

  // ---- operator requests

  async addRequest(request: OperatorRequest): Promise<{ request: OperatorRequest; created: boolean }> {
    const res = await this.db
      .insertInto('operator_requests')
      .values({ incident_id: request.incidentId, kind: request.kind, step: request.step ?? '', actor: request.actor, reason: this.#text(request.reason), at: request.at })
      .onConflict((oc) => oc.columns(['incident_id', 'kind', 'step']).doNothing())
      .executeTakeFirst();
    const row = await this.db.selectFrom('operator_requests').selectAll().where('incident_id', '=', request.incidentId).where('kind', '=', request.kind).where('step', '=', request.step ?? '').executeTakeFirstOrThrow();
    return { request: toRequest(row), created: Number(res.numInsertedOrUpdatedRows ?? 0n) === 1 };
  }

  async listRequests(incidentId: string): Promise<OperatorRequest[]> {
    return (await this.db.selectFrom('operator_requests').selectAll().where('incident_id', '=', incidentId).orderBy('at').orderBy('kind').orderBy('step').execute()).map(toRequest);
  }

  async getHumanTask(id: string): Promise<HumanTask | undefined> {
    const row = await this.db.selectFrom('human_tasks').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toHumanTask(row);
  }

  async listHumanTasks(filter: { incidentId?: string; status?: HumanTask['status'] }): Promise<HumanTask[]> {
    let q = this.db.selectFrom('human_tasks').selectAll();
    if (filter.incidentId) q = q.where('incident_id', '=', filter.incidentId);
    if (filter.status) q = q.where('status', '=', filter.status);
    return (await q.orderBy('created_at').orderBy('id').execute()).map(toHumanTask);
  }

  // ---- detector baselines

  async getBaseline<T>(detector: string, key: string): Promise<T | undefined> {
    const row = await this.db.selectFrom('baselines').select('value_json').where('detector', '=', detector).where('key', '=', key).executeTakeFirst();
    return row ? (JSON.parse(row.value_json) as T) : undefined;
  }

  async putBaseline(detector: string, key: string, value: unknown, at: number): Promise<void> {
    const value_json = this.#json(value);
    await this.db
      .insertInto('baselines')
      .values({ detector, key, value_json, updated_at: at })
      .onConflict((oc) => oc.columns(['detector', 'key']).doUpdateSet({ value_json, updated_at: at }))
      .execute();
  }

  // ---- retention

  async prune(before: number): Promise<Pruned> {
    return this.db.transaction().execute(async (trx) => {
      const signals = await trx.deleteFrom('signals').where('incident_id', 'is', null).where('received_at', '<', before).executeTakeFirst();
      // A done timer of an incident still running stays: its id is what keeps a re-run step from arming it twice.
      const work = await trx
        .deleteFrom('work_items')
        .where('status', '=', 'done')
        .where('finished_at', '<', before)
        .where((eb) => eb.or([eb('incident_id', 'is', null), eb.not(eb.exists(eb.selectFrom('incidents').select('id').whereRef('incidents.id', '=', 'work_items.incident_id').where('closed_at', 'is', null)))]))
        .executeTakeFirst();
      const baselines = await trx.deleteFrom('baselines').where('updated_at', '<', before).executeTakeFirst();
      const ownCalls = await trx.deleteFrom('own_calls').where('at', '<', before).executeTakeFirst();
      return { signals: Number(signals.numDeletedRows), work: Number(work.numDeletedRows), baselines: Number(baselines.numDeletedRows), ownCalls: Number(ownCalls.numDeletedRows) };
    });
  }

  // ---- own calls

  async recordOwnCall(call: OwnCall): Promise<void> {
    await this.db
      .insertInto('own_calls')
      .values({ request_id: call.requestId, service: call.service, operation: call.operation, target: call.target === null ? null : this.#text(call.target), at: call.at })
      .onConflict((oc) => oc.column('request_id').doNothing())
      .execute();
  }

  async getOwnCall(requestId: string): Promise<OwnCall | undefined> {
    const row = await this.db.selectFrom('own_calls').selectAll().where('request_id', '=', requestId).executeTakeFirst();
    return row ? { requestId: row.request_id, service: row.service, operation: row.operation, target: row.target, at: Number(row.at) } : undefined;
  }

  // ---- audit

  async appendAudit(entry: Omit<AuditEntry, 'seq'>): Promise<AuditEntry> {
    const row = await this.db
      .insertInto('audit')
      .values({ at: entry.at, actor: entry.actor, action: entry.action, target: this.#text(entry.target), data_json: this.#json(entry.data) })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toAudit(row);
  }

  async listAudit(limit = 100, beforeSeq?: number): Promise<AuditEntry[]> {
    let q = this.db.selectFrom('audit').selectAll();
    if (beforeSeq !== undefined) q = q.where('seq', '<', beforeSeq);
    return (await q.orderBy('seq', 'desc').limit(limit).execute()).map(toAudit);
  }

  // ---- idempotency keys

  async beginIdempotent(key: string, request: string, at: number, staleBefore: number): Promise<{ created: boolean; record: IdempotentRecord }> {
    const res = await this.db
      .insertInto('idempotency')
      .values({ key, request, status: null, body_json: null, at })
      .onConflict((oc) => oc.column('key').doUpdateSet({ request, at }).where('idempotency.status', 'is', null).where('idempotency.at', '<', staleBefore))
      .executeTakeFirst();
    const row = await this.db.selectFrom('idempotency').selectAll().where('key', '=', key).executeTakeFirstOrThrow();
    const record = toIdempotent(row);
    return { created: Number(res.numInsertedOrUpdatedRows ?? 0n) === 1 && record.request === request && record.at === at, record };
  }

  async finishIdempotent(key: string, status: number, body: unknown): Promise<void> {
    await this.db.updateTable('idempotency').set({ status, body_json: this.#json(body) }).where('key', '=', key).execute();
  }

  async dropIdempotent(key: string): Promise<void> {
    await this.db.deleteFrom('idempotency').where('key', '=', key).where('status', 'is', null).execute();
  }
}
