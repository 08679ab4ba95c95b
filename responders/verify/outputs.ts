import { Type } from '@sinclair/typebox';
import { StringEnum } from '../lib/define.js';
import { defineOutputs } from '../lib/journal.js';
import { KEY_CHOICES } from '../lib/keys.js';

export const CHECKS = ['key', 'pods', 'positions'] as const;

/** What each check that ran found; positionsMatch is null when there was no snapshot to compare. */
export const verifyOutputs = defineOutputs(
  'verify',
  1,
  Type.Object(
    {
      key: StringEnum(KEY_CHOICES),
      checks: Type.Array(StringEnum(CHECKS)),
      keyHint: Type.Optional(Type.String()),
      keyWorks: Type.Optional(Type.Boolean()),
      keyTries: Type.Optional(Type.Integer()),
      pods: Type.Optional(Type.Integer()),
      positionsMatch: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
      positionsBefore: Type.Optional(Type.Array(Type.String())),
      positionsNow: Type.Optional(Type.Array(Type.String())),
    },
    { additionalProperties: false },
  ),
);
