import { Type, type Static } from '@sinclair/typebox';
import { StringEnum } from '../lib/define.js';
import { defineOutputs } from '../lib/journal.js';

export const STAGES = ['AWSCURRENT', 'AWSPENDING'] as const;

/**
 * The new key's Secrets Manager version and stage, with its hint and fingerprint (never material);
 * from version 2, the permissions and IPs LeakGuard gave the key it made (a later incident's
 * baseline). A version 1 row reads without them.
 */
export const rotateOutputs = defineOutputs(
  'rotate',
  2,
  Type.Object(
    {
      newVersionId: Type.String(),
      newKeyHint: Type.String(),
      newFingerprint: Type.String(),
      stage: StringEnum(STAGES),
      baseline: Type.Optional(Type.Object({ permissions: Type.Record(Type.String(), Type.Array(Type.String())), ips: Type.Array(Type.String()), source: Type.String() }, { additionalProperties: false })),
    },
    { additionalProperties: false },
  ),
  (outputs) => outputs as never,
);
export type RotateOutputs = Static<typeof rotateOutputs.schema>;
