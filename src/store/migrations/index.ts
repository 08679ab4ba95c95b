import type { Migration, MigrationProvider } from 'kysely';
import { initial } from './0001-initial.js';
import { writers } from './0002-writers.js';
import { playbookInPlan } from './0003-playbook-in-plan.js';
import { workQueue } from './0004-work-queue.js';
import { operatorRequests } from './0005-operator-requests.js';
import { signalMatch } from './0006-signal-match.js';
import { ownCalls } from './0007-own-calls.js';
import { idempotency } from './0008-idempotency.js';

export type Dialect = 'sqlite' | 'postgres';

/** Versioned migrations, applied in name order at start. Append; never edit a released one. */
export function migrations(dialect: Dialect): MigrationProvider {
  const all: Record<string, Migration> = {
    '0001-initial': initial(dialect),
    '0002-writers': writers(dialect),
    '0003-playbook-in-plan': playbookInPlan,
    '0004-work-queue': workQueue(dialect),
    '0005-operator-requests': operatorRequests(dialect),
    '0006-signal-match': signalMatch,
    '0007-own-calls': ownCalls(dialect),
    '0008-idempotency': idempotency(dialect),
  };
  return { getMigrations: async () => all };
}
