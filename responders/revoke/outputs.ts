import { Type, type Static } from '@sinclair/typebox';
import { REVOCATION_PROOFS } from '../../src/core/revocation.js';
import { StringEnum } from '../lib/define.js';
import { defineOutputs } from '../lib/journal.js';
import { KEY_CHOICES } from '../lib/keys.js';
import { Position } from '../freeze/outputs.js';

/**
 * What a revoke did, by its scope: one key (with the fingerprint of the key now gone), every
 * sub-account key, a person's deletion, or the grace-period timer it scheduled. Version 2 adds
 * `proof`, how the key was shown gone; a version 1 row (written before proofs) reads without it.
 */
export const revokeOutputs = defineOutputs(
  'revoke',
  2,
  Type.Object(
    {
      key: Type.Optional(StringEnum(KEY_CHOICES)),
      keyHint: Type.Optional(Type.String()),
      versionId: Type.Optional(Type.String()),
      alreadyGone: Type.Optional(Type.Boolean()),
      /** How the key was shown gone (src/core/revocation.ts); absent in version 1 rows. */
      proof: Type.Optional(StringEnum(REVOCATION_PROOFS)),
      /** The key proved gone: later steps and later incidents never treat it as usable. */
      revokedFingerprint: Type.Optional(Type.String()),
      /** Positions read with the key just before it was deleted, when it was the last key trading (break-glass). */
      positions: Type.Optional(Type.Array(Position)),
      scheduledFor: Type.Optional(Type.String()),
      revokedSubKeys: Type.Optional(Type.Integer()),
      keyHints: Type.Optional(Type.Array(Type.String())),
      by: Type.Optional(Type.Literal('person')),
      masterUid: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    },
    { additionalProperties: false },
  ),
  // Version 1 is version 2 without proofs.
  (outputs) => outputs as never,
);
export type RevokeOutputs = Static<typeof revokeOutputs.schema>;
