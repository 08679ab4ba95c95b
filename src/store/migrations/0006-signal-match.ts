import type { Kysely, Migration } from 'kysely';

/** Which key of the credential a signal matched (stage, version, field, revoked), for the incident's target. */
export const signalMatch: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('signals').addColumn('match_json', 'text').execute();
  },
};
