import type { Kysely, Migration } from 'kysely';
import type { Dialect } from './index.js';

/** The Idempotency-Keys of API mutations and their first answers, so that a retried request does the thing once. */
export function idempotency(dialect: Dialect): Migration {
  const time = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('idempotency')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('request', 'text', (c) => c.notNull())
        .addColumn('status', 'integer')
        .addColumn('body_json', 'text')
        .addColumn('at', time, (c) => c.notNull())
        .execute();
    },
  };
}
