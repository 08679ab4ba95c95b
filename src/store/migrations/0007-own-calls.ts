import type { Kysely, Migration } from 'kysely';
import type { Dialect } from './index.js';

/**
 * LeakGuard's own AWS calls (request id, operation, secret, time): how a CloudTrail record of
 * LeakGuard's work is told from a thief's call made with a copied user agent or stolen role.
 */
export function ownCalls(dialect: Dialect): Migration {
  const time = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('own_calls')
        .addColumn('request_id', 'text', (c) => c.primaryKey())
        .addColumn('service', 'text', (c) => c.notNull())
        .addColumn('operation', 'text', (c) => c.notNull())
        .addColumn('target', 'text')
        .addColumn('at', time, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('own_calls_at').on('own_calls').column('at').execute();
    },
  };
}
