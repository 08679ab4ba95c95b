import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';

/**
 * The EventBridge envelope every AWS event has (version, id, detail-type, source, account, time,
 * region, resources, detail: shared/fixtures/aws), and what LeakGuard reads of the CloudTrail
 * record and the GuardDuty finding in `detail`. Unread fields are ignored.
 */
export const Envelope = Type.Object({
  version: Type.Optional(Type.String()),
  id: Type.String({ minLength: 1, maxLength: 200 }),
  'detail-type': Type.String({ minLength: 1 }),
  source: Type.String({ minLength: 1 }),
  account: Type.Optional(Type.String()),
  time: Type.Optional(Type.String()),
  region: Type.Optional(Type.String()),
  resources: Type.Optional(Type.Array(Type.String())),
  detail: Type.Record(Type.String(), Type.Unknown()),
});
export type Envelope = Static<typeof Envelope>;

const Str = Type.Optional(Type.String());

/** A CloudTrail record (eventType AwsApiCall or AwsServiceEvent), as "AWS API/Service Event via CloudTrail" carries it. */
export const TrailRecord = Type.Object({
  eventID: Type.String({ minLength: 1 }),
  eventName: Type.String({ minLength: 1 }),
  eventSource: Type.String({ minLength: 1 }),
  eventTime: Str,
  requestID: Str,
  eventType: Str,
  sourceIPAddress: Str,
  userAgent: Str,
  vpcEndpointId: Str,
  errorCode: Str,
  userIdentity: Type.Optional(
    Type.Object({
      type: Str,
      arn: Str,
      accessKeyId: Str,
      invokedBy: Str,
      sessionContext: Type.Optional(Type.Object({ sessionIssuer: Type.Optional(Type.Object({ arn: Str })) })),
    }),
  ),
  requestParameters: Type.Optional(Type.Union([Type.Null(), Type.Record(Type.String(), Type.Unknown())])),
  responseElements: Type.Optional(Type.Union([Type.Null(), Type.Record(Type.String(), Type.Unknown())])),
  additionalEventData: Type.Optional(Type.Union([Type.Null(), Type.Record(Type.String(), Type.Unknown())])),
  serviceEventDetails: Type.Optional(Type.Union([Type.Null(), Type.Record(Type.String(), Type.Unknown())])),
  resources: Type.Optional(Type.Array(Type.Object({ ARN: Str, arn: Str }))),
});
export type TrailRecord = Static<typeof TrailRecord>;

/** A GuardDuty finding (GetFindings' Finding shape) as far as LeakGuard reads it. */
export const Finding = Type.Object({
  id: Type.String({ minLength: 1 }),
  type: Type.String({ minLength: 1 }),
  severity: Type.Number(),
  title: Str,
  updatedAt: Str,
  accountId: Str,
  region: Str,
  resource: Type.Optional(
    Type.Object({
      resourceType: Str,
      accessKeyDetails: Type.Optional(Type.Object({ accessKeyId: Str, principalId: Str, userName: Str, userType: Str })),
    }),
  ),
  service: Type.Optional(Type.Object({ count: Type.Optional(Type.Number()), action: Type.Optional(Type.Unknown()) })),
});
export type Finding = Static<typeof Finding>;

export const CLOUDTRAIL_API_CALL = 'AWS API Call via CloudTrail';
export const CLOUDTRAIL_SERVICE_EVENT = 'AWS Service Event via CloudTrail';
export const GUARDDUTY_FINDING = 'GuardDuty Finding';
export const SECRET_LABEL_UPDATED = 'Secret Label Updated';

const checks = { envelope: TypeCompiler.Compile(Envelope), trail: TypeCompiler.Compile(TrailRecord), finding: TypeCompiler.Compile(Finding) };

/** The problems of one event ("[i] path message"), empty when LeakGuard can read it; events of other kinds need the envelope only. */
export function eventProblems(event: unknown, i: number): string[] {
  const errors = (check: (typeof checks)[keyof typeof checks], value: unknown, prefix: string) =>
    check.Check(value) ? [] : [...check.Errors(value)].slice(0, 5).map((e) => `[${i}]${prefix}${e.path || ''} ${e.message}`);
  const envelope = errors(checks.envelope, event, '');
  if (envelope.length) return envelope;
  const e = event as Envelope;
  if (e['detail-type'] === CLOUDTRAIL_API_CALL || e['detail-type'] === CLOUDTRAIL_SERVICE_EVENT) return errors(checks.trail, e.detail, '/detail');
  if (e['detail-type'] === GUARDDUTY_FINDING) return errors(checks.finding, e.detail, '/detail');
  return [];
}

/** The queue id of an event: CloudTrail's eventID when it has one (two rules or a redelivery give new envelope ids), else the envelope id. */
export function eventKey(e: Envelope): string {
  // A GuardDuty finding is sent again (a new envelope) each time it is updated: one item per update.
  if (e['detail-type'] === GUARDDUTY_FINDING) return `gd:${String(e.detail.id)}:${String(e.detail.updatedAt ?? '')}`;
  const eventId = (e.detail as { eventID?: unknown }).eventID;
  return typeof eventId === 'string' && eventId ? `ct:${eventId}` : `ev:${e.id}`;
}
