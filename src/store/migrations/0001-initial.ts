import { sql, type Kysely, type Migration } from 'kysely';
import type { Dialect } from './index.js';

/** The first schema. Times are bigint epoch ms; ids are text. */
export function initial(dialect: Dialect): Migration {
  const serial = dialect === 'postgres' ? 'bigserial' : 'integer';
  const time = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('signals')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('dedup_key', 'text', (c) => c.notNull().unique())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('credential_id', 'text')
        .addColumn('confidence', 'text', (c) => c.notNull())
        .addColumn('observed_at', time, (c) => c.notNull())
        .addColumn('received_at', time, (c) => c.notNull())
        .addColumn('evidence_json', 'text', (c) => c.notNull())
        .addColumn('incident_id', 'text')
        .execute();
      await db.schema.createIndex('signals_credential').on('signals').columns(['credential_id', 'received_at']).execute();

      await db.schema
        .createTable('incidents')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('credential_id', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('playbook', 'text', (c) => c.notNull())
        .addColumn('dry_run', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('target_json', 'text')
        .addColumn('plan_json', 'text')
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('opened_at', time, (c) => c.notNull())
        .addColumn('updated_at', time, (c) => c.notNull())
        .addColumn('closed_at', time)
        .execute();
      // The database, not the code, guarantees one active incident per credential.
      await db.schema
        .createIndex('incidents_one_active_per_credential')
        .on('incidents')
        .column('credential_id')
        .unique()
        .where(sql.ref('closed_at'), 'is', null)
        .execute();

      await db.schema
        .createTable('step_runs')
        .addColumn('incident_id', 'text', (c) => c.notNull())
        .addColumn('step', 'text', (c) => c.notNull())
        .addColumn('attempt', 'integer', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('started_at', time, (c) => c.notNull())
        .addColumn('finished_at', time)
        .addColumn('outputs_json', 'text', (c) => c.notNull())
        .addColumn('error', 'text')
        .addPrimaryKeyConstraint('step_runs_pk', ['incident_id', 'step', 'attempt'])
        .execute();

      await db.schema
        .createTable('timeline')
        .addColumn('seq', serial, (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
        .addColumn('incident_id', 'text', (c) => c.notNull())
        .addColumn('at', time, (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('message', 'text', (c) => c.notNull())
        .addColumn('data_json', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('timeline_incident').on('timeline').columns(['incident_id', 'seq']).execute();

      await db.schema
        .createTable('leases')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('holder', 'text', (c) => c.notNull())
        .addColumn('fence', time, (c) => c.notNull())
        .addColumn('expires_at', time, (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('timers')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('incident_id', 'text')
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('due_at', time, (c) => c.notNull())
        .addColumn('payload_json', 'text', (c) => c.notNull())
        .addColumn('claimed_by', 'text')
        .addColumn('claimed_until', time)
        .addColumn('fired_at', time)
        .execute();
      await db.schema.createIndex('timers_due').on('timers').columns(['fired_at', 'due_at']).execute();

      await db.schema
        .createTable('pauses')
        .addColumn('scope', 'text', (c) => c.primaryKey())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('at', time, (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('human_tasks')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('incident_id', 'text', (c) => c.notNull())
        .addColumn('step', 'text', (c) => c.notNull())
        .addColumn('instructions', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_at', time, (c) => c.notNull())
        .addColumn('completed_at', time)
        .addColumn('completed_by', 'text')
        .addColumn('result_json', 'text')
        .execute();

      await db.schema
        .createTable('baselines')
        .addColumn('detector', 'text', (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('value_json', 'text', (c) => c.notNull())
        .addColumn('updated_at', time, (c) => c.notNull())
        .addPrimaryKeyConstraint('baselines_pk', ['detector', 'key'])
        .execute();

      await db.schema
        .createTable('audit')
        .addColumn('seq', serial, (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
        .addColumn('at', time, (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('target', 'text', (c) => c.notNull())
        .addColumn('data_json', 'text', (c) => c.notNull())
        .execute();
    },
  };
}
