import { Type, type Static } from '@sinclair/typebox';
import { StringEnum } from '../lib/define.js';
import { defineOutputs } from '../lib/journal.js';

export const STAGES = ['AWSCURRENT', 'AWSPENDING'] as const;

/** The new key's Secrets Manager version and stage, with its hint and fingerprint (never material). */
export const rotateOutputs = defineOutputs(
  'rotate',
  1,
  Type.Object({ newVersionId: Type.String(), newKeyHint: Type.String(), newFingerprint: Type.String(), stage: StringEnum(STAGES) }, { additionalProperties: false }),
);
export type RotateOutputs = Static<typeof rotateOutputs.schema>;
