import { sql, type Kysely, type Migration } from 'kysely';
import type { Dialect } from './index.js';

/**
 * One durable work queue for everything that must survive a crash. The timers table was a
 * queue of one kind: its rows move over (a step timer becomes kind `step-timer`, a fired one
 * `done`, a live claim stays claimed) and the table goes, so there is one mechanism.
 */
export function workQueue(dialect: Dialect): Migration {
  const time = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('work_items')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('incident_id', 'text')
        .addColumn('payload_json', 'text', (c) => c.notNull())
        .addColumn('run_at', time, (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('max_attempts', 'integer', (c) => c.notNull())
        .addColumn('last_error', 'text')
        .addColumn('claimed_by', 'text')
        .addColumn('claimed_until', time)
        .addColumn('claims', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', time, (c) => c.notNull())
        .addColumn('finished_at', time)
        .execute();
      await db.schema.createIndex('work_items_due').on('work_items').columns(['status', 'kind', 'run_at']).execute();
      await db.schema.createIndex('work_items_incident').on('work_items').columns(['incident_id', 'run_at']).execute();

      // A timer had no creation time; its due time stands in. Five attempts is the queue's default.
      await sql`
        insert into work_items (id, kind, incident_id, payload_json, run_at, status, attempts, max_attempts, last_error, claimed_by, claimed_until, claims, created_at, finished_at)
        select id, case when kind = 'step' then 'step-timer' else kind end, incident_id, payload_json, due_at,
               case when fired_at is null then 'pending' else 'done' end, 0, 5, null, claimed_by, claimed_until, 0, due_at, fired_at
        from timers`.execute(db);
      await db.schema.dropTable('timers').execute();
    },
  };
}
