import type { Kysely, Migration } from 'kysely';
import type { Dialect } from './index.js';

/**
 * Operator requests (abort, approve a step) as typed rows, read by the runner, instead of
 * timeline entries matched by their type string. One request of a kind per incident and step.
 */
export function operatorRequests(dialect: Dialect): Migration {
  const time = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('operator_requests')
        .addColumn('incident_id', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        // '' for a request about the whole incident (abort): a key column is never null.
        .addColumn('step', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('at', time, (c) => c.notNull())
        .addPrimaryKeyConstraint('operator_requests_pk', ['incident_id', 'kind', 'step'])
        .execute();
    },
  };
}
