import type { Kysely, Migration } from 'kysely';
import type { Dialect } from './index.js';

/**
 * Which lease holder (and fencing number) wrote each timeline entry and step run, so a
 * takeover is provable from the rows alone: nothing after it carries the old holder's fence.
 */
export function writers(dialect: Dialect): Migration {
  const int = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<unknown>) {
      for (const table of ['timeline', 'step_runs']) {
        // SQLite adds one column per statement.
        await db.schema.alterTable(table).addColumn('holder', 'text').execute();
        await db.schema.alterTable(table).addColumn('fence', int).execute();
      }
    },
  };
}
