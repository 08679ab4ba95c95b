import { Type, type Static } from '@sinclair/typebox';
import { defineOutputs } from '../lib/journal.js';

/** The Secrets Manager version that is AWSCURRENT now, and the one it replaced. */
export const promoteOutputs = defineOutputs(
  'promote',
  1,
  Type.Object(
    {
      currentVersionId: Type.String(),
      previousVersionId: Type.Union([Type.String(), Type.Null()]),
      /** A rollback an operator insisted on although the key was revoked or suspected. */
      insisted: Type.Optional(Type.Boolean()),
    },
    { additionalProperties: false },
  ),
);
export type PromoteOutputs = Static<typeof promoteOutputs.schema>;
