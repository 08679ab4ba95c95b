import { Type } from '@sinclair/typebox';
import { defineOutputs } from '../lib/journal.js';

/** Where the notification went besides the timeline. */
export const notifyOutputs = defineOutputs('notify', 1, Type.Object({ slack: Type.Boolean(), eventbridge: Type.Integer() }, { additionalProperties: false }));
