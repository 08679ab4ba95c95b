import { Type } from '@sinclair/typebox';
import { defineOutputs } from '../lib/journal.js';

/** The rollout restore started (its restart annotation) and how many replicas it asked for; verify checks both. */
export const restoreOutputs = defineOutputs('restore', 1, Type.Object({ restartedAt: Type.String(), replicas: Type.Integer({ minimum: 0 }) }, { additionalProperties: false }));
