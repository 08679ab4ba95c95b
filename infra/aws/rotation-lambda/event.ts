import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/** What Secrets Manager invokes the function with (User Guide, Rotation by Lambda function). */
export const RotationEventSchema = Type.Object({
  Step: Type.Union([Type.Literal('createSecret'), Type.Literal('setSecret'), Type.Literal('testSecret'), Type.Literal('finishSecret')]),
  SecretId: Type.String({ minLength: 1 }),
  ClientRequestToken: Type.String({ minLength: 32, maxLength: 64 }),
  RotationToken: Type.Optional(Type.String({ minLength: 1 })),
});
export type RotationEvent = Static<typeof RotationEventSchema>;

export function parseEvent(event: unknown): RotationEvent {
  if (Value.Check(RotationEventSchema, event)) return event;
  const problems = [...Value.Errors(RotationEventSchema, event)].map((e) => `${e.path || '/'}: ${e.message}`);
  throw new Error(`not a Secrets Manager rotation event (${problems.join('; ')}); this function is invoked by Secrets Manager's RotateSecret only`);
}
