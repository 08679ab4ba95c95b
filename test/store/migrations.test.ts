import t, { type Test } from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { Scrubber } from '../../src/core/scrubber.js';
import { migrations, type Dialect } from '../../src/store/migrations/index.js';
import { openStore } from '../../src/store/open.js';
import { TEST_PG_URL } from '../helpers/stores.js';

/** A store at migration `to` on a fresh database: what an older release left behind. */
async function olderStore(dialect: Dialect, to: string) {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'leakguard-migrate-'));
    const url = join(dir, 'leakguard.db');
    const db = new Kysely<any>({ dialect: new SqliteDialect({ database: new BetterSqlite3(url) }) });
    await new Migrator({ db, provider: migrations(dialect) }).migrateTo(to);
    return { db, url, schema: undefined, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const db = new Kysely<any>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: TEST_PG_URL, options: `-c search_path=${schema}` }) }) });
  await sql`create schema ${sql.id(schema)}`.execute(db);
  await new Migrator({ db, provider: migrations(dialect), migrationTableSchema: schema }).migrateTo(to);
  const cleanup = async () => {
    const client = new pg.Client({ connectionString: TEST_PG_URL });
    await client.connect();
    await client.query(`drop schema if exists ${schema} cascade`);
    await client.end();
  };
  return { db, url: TEST_PG_URL, schema, cleanup };
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  t.test(`${dialect}: the work-queue migration moves every timer onto the queue and drops the timers table`, async (t) => {
    const old = await olderStore(dialect, '0003-playbook-in-plan');
    t.teardown(old.cleanup);
    const timer = { incident_id: 'i1', payload_json: '{"step":"promote.revoke-old","responder":"revoke","params":{}}' };
    await old.db
      .insertInto('timers')
      .values([
        { ...timer, id: 'due', kind: 'step', due_at: 5_000, claimed_by: null, claimed_until: null, fired_at: null },
        { ...timer, id: 'fired', kind: 'step', due_at: 4_000, claimed_by: 'r1', claimed_until: 4_500, fired_at: 4_100 },
        { ...timer, id: 'claimed', kind: 'step', due_at: 3_000, claimed_by: 'r2', claimed_until: 9_000, fired_at: null },
      ])
      .execute();
    await old.db.destroy();

    const store = await openStore({ url: old.url, schema: old.schema, scrubber: new Scrubber() });
    t.teardown(() => store.close());
    const items = await store.listWork({ incidentId: 'i1' });
    t.same(
      items.map((w) => [w.id, w.kind, w.status, w.runAt, w.finishedAt]),
      [
        ['claimed', 'step-timer', 'pending', 3_000, null],
        ['fired', 'step-timer', 'done', 4_000, 4_100],
        ['due', 'step-timer', 'pending', 5_000, null],
      ],
    );
    t.same(items[0]!.payload, { step: 'promote.revoke-old', responder: 'revoke', params: {} });
    t.same(await store.claimWork('r3', { kinds: ['step-timer'], now: 8_000, claimTtlMs: 1_000, limit: 10 }).then((c) => c.map((w) => w.id)), ['due'], "a live claim is still honoured");
    await t.rejects(sql`select * from timers`.execute(await rawDb(old.url, old.schema, t)), /timers/, 'the timers table is gone');
  });
}

/** A plain connection to look at the schema itself. */
async function rawDb(url: string, schema: string | undefined, t: Test) {
  const db = schema
    ? new Kysely<any>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, options: `-c search_path=${schema}` }) }) })
    : new Kysely<any>({ dialect: new SqliteDialect({ database: new BetterSqlite3(url) }) });
  t.teardown(() => db.destroy());
  return db;
}
