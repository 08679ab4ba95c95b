import type BetterSqlite3 from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

/**
 * A SQLite database for Kysely that compiles each SQL text once: Kysely prepares every query
 * it runs, better-sqlite3 compiles on each prepare, and the store's few dozen queries recur on
 * every step. Safe to share a statement: Kysely's SQLite driver runs one query at a time.
 */
export function cachingStatements(database: BetterSqlite3.Database, max = 512): SqliteDatabase {
  const cache = new Map<string, SqliteStatement>();
  return {
    close: () => database.close(),
    prepare(sql) {
      let statement = cache.get(sql);
      if (!statement) {
        statement = database.prepare(sql);
        // Texts vary only with list lengths (IN (...)); past `max` the oldest goes.
        if (cache.size >= max) cache.delete(cache.keys().next().value!);
        cache.set(sql, statement);
      }
      return statement;
    },
  };
}
