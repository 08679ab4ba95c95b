import type { Kysely, Migration } from 'kysely';

/**
 * The playbook was kept twice, in its own column and in the plan; an escalation had to change
 * both. The plan (which every incident has, and which names its playbook) is now the only copy.
 */
export const playbookInPlan: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('incidents').dropColumn('playbook').execute();
  },
};
