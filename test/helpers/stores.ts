import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Scrubber } from '../../src/core/scrubber.js';
import { openStore } from '../../src/store/open.js';
import type { Store } from '../../src/store/store.js';

/** The PostgreSQL every test uses; CI starts it (see .ci/run). */
export const TEST_PG_URL = process.env.LEAKGUARD_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestStore {
  store: Store;
  scrubber: Scrubber;
  /** What openStore needs to open the same store again (another replica, a restarted runner). */
  url: string;
  schema?: string;
  cleanup(): Promise<void>;
}

/** A fresh SQLite file in its own temp dir. */
export async function sqliteStore(scrubber = new Scrubber()): Promise<TestStore> {
  const dir = mkdtempSync(join(tmpdir(), 'leakguard-test-'));
  const url = join(dir, 'leakguard.db');
  const store = await openStore({ url, scrubber });
  return {
    store,
    scrubber,
    url,
    cleanup: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A fresh PostgreSQL schema, dropped afterwards, so parallel test files never meet. */
export async function postgresStore(scrubber = new Scrubber()): Promise<TestStore> {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const store = await openStore({ url: TEST_PG_URL, scrubber, schema });
  return {
    store,
    scrubber,
    url: TEST_PG_URL,
    schema,
    cleanup: async () => {
      await store.close();
      const client = new pg.Client({ connectionString: TEST_PG_URL });
      await client.connect();
      await client.query(`drop schema if exists ${schema} cascade`);
      await client.end();
    },
  };
}

export const BACKENDS = { sqlite: sqliteStore, postgres: postgresStore } as const;
