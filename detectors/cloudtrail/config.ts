import { Type, type Static } from '@sinclair/typebox';
import { SecretRef } from '../../src/core/credential.js';
import { detectorSection } from '../../src/intake/section.js';

const Arn = Type.String({ minLength: 1, description: 'an IAM role or user ARN (a role also matches its assumed-role sessions)' });

/** What is normal for one credential's secret; every check is off until its list or threshold is set. */
const Expectation = Type.Object(
  {
    principals: Type.Array(Arn, { default: [], description: "who may read the secret (the bot's role, the rotation role); anyone else is flagged" }),
    allowedCidrs: Type.Array(Type.String({ minLength: 1 }), { default: [], description: 'source IPs the secret may be read from (CIDRs); a call through a VPC endpoint is judged by vpcEndpoints instead' }),
    vpcEndpoints: Type.Array(Type.String({ minLength: 1 }), { default: [], description: 'VPC endpoint ids (vpce-…) calls may come through' }),
    readsPerHour: Type.Optional(Type.Integer({ minimum: 1, description: 'GetSecretValue calls per hour above which a read_rate signal is raised' })),
    learningHours: Type.Integer({ minimum: 0, default: 72, description: 'how long principals, IPs and user agents are only learned before a new one is flagged' }),
  },
  { additionalProperties: false },
);

export const EventBridgeConfig = detectorSection(
  {
    apiKey: Type.Optional(SecretRef),
    previousApiKeys: Type.Array(SecretRef, { default: [], description: "keys still accepted while the connection's API key is changed; remove each once the connection sends the new one" }),
    headerName: Type.String({ minLength: 1, default: 'x-api-key', description: "the connection's API-key header name" }),
    leakguardPrincipals: Type.Array(Arn, { default: [], description: "LeakGuard's own roles: their calls must be in its call log, else someone uses LeakGuard's identity" }),
    rotationPrincipals: Type.Array(Arn, { default: [], description: 'the rotation Lambda role(s): their writes to a secret are expected' }),
    credentials: Type.Record(Type.String(), Expectation, { default: {}, description: 'per credential id: who may read its secret, from where, how often' }),
    decoys: Type.Array(
      Type.Object(
        {
          secretId: Type.String({ minLength: 1, description: 'the decoy secret, by name or ARN' }),
          guards: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'the credential ids a read of it is a confirmed signal for' }),
        },
        { additionalProperties: false },
      ),
      { default: [], description: 'secrets nothing legitimate reads: any read is a confirmed leak signal' },
    ),
    accessDenied: Type.Object(
      { count: Type.Integer({ minimum: 1, default: 5 }), minutes: Type.Integer({ minimum: 1, default: 10 }) },
      { additionalProperties: false, default: {}, description: 'this many AccessDenied answers on one secret within this window is a burst' },
    ),
    guardDuty: Type.Object(
      {
        minSeverity: Type.Number({ minimum: 1, maximum: 10, default: 7, description: 'findings at or above this severity (High is 7-8.9, Critical 9-10)' }),
        accessKeyIds: Type.Record(Type.String(), Type.Array(Type.String({ minLength: 1 })), { default: {}, description: 'per credential id: AWS access key ids of its principals' }),
      },
      { additionalProperties: false, default: {} },
    ),
    ownCallSkewMinutes: Type.Integer({ minimum: 1, default: 15, description: "how far a CloudTrail eventTime may lie from LeakGuard's record of the call with its request id" }),
  },
  'CloudTrail, GuardDuty and Secrets Manager events from an EventBridge API destination, and decoy secrets',
);
export type EventBridgeConfig = Static<typeof EventBridgeConfig>;
export type Expectation = Static<typeof Expectation>;
