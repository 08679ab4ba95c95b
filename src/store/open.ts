import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import type { Scrubber } from '../core/scrubber.js';
import { KyselyStore } from './kysely-store.js';
import { migrations, type Dialect } from './migrations/index.js';
import { PgWakeBus, type WakeLogger } from './pg-wakeups.js';
import { cachingStatements } from './sqlite-statements.js';
import type { Database } from './schema.js';
import type { Store } from './store.js';

export interface OpenStoreOptions {
  /** A SQLite file path, or a postgres:// URL. */
  url: string;
  scrubber: Scrubber;
  /** PostgreSQL schema to use (created if missing); also read from the URL's `?schema=`. */
  schema?: string;
  /** Where a lost wake-up connection is reported. */
  logger?: WakeLogger;
}

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//.test(url);
}

/** Opens the store the URL names and brings its schema up to date. */
export async function openStore(opts: OpenStoreOptions): Promise<Store> {
  const dialect: Dialect = isPostgresUrl(opts.url) ? 'postgres' : 'sqlite';
  const schema = dialect === 'postgres' ? (opts.schema ?? new URL(opts.url).searchParams.get('schema') ?? undefined) : undefined;
  const db = dialect === 'postgres' ? await postgresFromUrl(opts.url, schema) : sqlite(opts.url);
  try {
    // Named, so Kysely looks for its migration tables in this schema only, not in any schema of the database.
    const { error, results } = await new Migrator({ db, provider: migrations(dialect), ...(schema ? { migrationTableSchema: schema } : {}) }).migrateToLatest();
    const failed = results?.find((r) => r.status === 'Error');
    if (error) throw new Error(`store migration ${failed?.migrationName ?? ''} failed: ${(error as Error).message}; the store is unchanged past the last applied migration`);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  return new KyselyStore(db, dialect, opts.scrubber, dialect === 'postgres' ? pgWakes(db, opts.url, schema, opts.logger) : undefined);
}

/** The channel and session name carry the schema: stores in other schemas of the database stay deaf to these. */
function pgWakes(db: Kysely<Database>, url: string, schema: string | undefined, logger: WakeLogger | undefined): PgWakeBus {
  const u = new URL(url);
  u.searchParams.delete('schema');
  return new PgWakeBus({
    connectionString: u.toString(),
    channel: `leakguard_wake_${schema ?? 'public'}`,
    applicationName: `leakguard-wake:${schema ?? 'public'}`,
    send: async (channel, payload) => void (await sql`select pg_notify(${channel}, ${payload})`.execute(db)),
    logger,
  });
}

function sqlite(path: string): Kysely<Database> {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const database = new BetterSqlite3(path);
  // WAL lets readers (health checks, the API) run while the runner writes.
  database.pragma('journal_mode = WAL');
  database.pragma('busy_timeout = 5000');
  database.pragma('synchronous = NORMAL');
  return new Kysely<Database>({ dialect: new SqliteDialect({ database: cachingStatements(database) }) });
}

/** `?schema=` is ours, not libpq's: take it off the URL before pg sees it. */
function postgresFromUrl(url: string, schema: string | undefined): Promise<Kysely<Database>> {
  const u = new URL(url);
  u.searchParams.delete('schema');
  return postgres(u.toString(), schema);
}

async function postgres(url: string, schema: string | undefined): Promise<Kysely<Database>> {
  const types = {
    // bigint (int8) as a JS number: our values are epoch ms and counters, far below 2^53.
    getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format))) as typeof pg.types.getTypeParser,
  };
  if (schema && !/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`invalid PostgreSQL schema name ${schema}`);
  const pool = new pg.Pool({ connectionString: url, max: 10, types, ...(schema ? { options: `-c search_path=${schema}` } : {}) });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  try {
    if (schema) await sql`create schema if not exists ${sql.id(schema)}`.execute(db);
    else await sql`select 1`.execute(db);
  } catch (err) {
    await db.destroy();
    throw new Error(`cannot reach PostgreSQL at ${redactUrl(url)}: ${(err as Error).message}; check store.url and that the server accepts connections`);
  }
  return db;
}

/** A URL with its password removed, for error messages: the user-info one and any `password=` of the query (libpq's `sslpassword` too). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    for (const name of [...u.searchParams.keys()]) if (/password/i.test(name)) u.searchParams.set(name, '***');
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}
