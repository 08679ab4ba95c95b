import { randomUUID } from 'node:crypto';
import type { SimServer } from '../http.js';
import { AwsError, lengthViolation, rangeViolation, validate, type Violation } from './errors.js';
import { AwsJsonService, epochSeconds, isoSeconds, throttlingError, toMs, type AwsSimOptions, type JsonObject } from './json-protocol.js';
import { decodeToken, encodeToken } from './paging.js';

/** One management event to seed; unset identity fields are derived from the others. */
export interface SeedEvent {
  eventId?: string;
  eventName: string;
  eventSource: string;
  /** Epoch ms, a Date or an ISO string. */
  eventTime: number | Date | string;
  username?: string;
  accessKeyId?: string;
  readOnly?: boolean;
  resources?: { ResourceType?: string; ResourceName?: string }[];
  sourceIPAddress?: string;
  userAgent?: string;
  userIdentity?: JsonObject;
  requestParameters?: JsonObject | null;
  responseElements?: JsonObject | null;
  errorCode?: string;
  errorMessage?: string;
}

export interface CloudTrailSimOptions extends AwsSimOptions {
  /** LookupEvents calls allowed per second of the clock, per account (AWS: 2). */
  lookupsPerSecond?: number;
}

interface TrailEvent {
  eventId: string;
  eventName: string;
  eventSource: string;
  eventTime: number;
  username?: string;
  accessKeyId?: string;
  readOnly: boolean;
  resources: { ResourceType?: string; ResourceName?: string }[];
  /** The full CloudTrail record, returned as the CloudTrailEvent JSON string. */
  record: JsonObject;
}

interface LookupAttribute {
  AttributeKey?: string;
  AttributeValue?: string;
}

const ATTRIBUTE_KEYS = ['EventId', 'EventName', 'ReadOnly', 'Username', 'ResourceType', 'ResourceName', 'EventSource', 'AccessKeyId'];
/** LookupEvents sees only the last 90 days. */
const RETENTION_MS = 90 * 86_400_000;

const matchers: Record<string, (e: TrailEvent, value: string) => boolean> = {
  EventId: (e, v) => e.eventId === v,
  EventName: (e, v) => e.eventName === v,
  ReadOnly: (e, v) => String(e.readOnly) === v,
  Username: (e, v) => e.username === v,
  ResourceType: (e, v) => e.resources.some((r) => r.ResourceType === v),
  ResourceName: (e, v) => e.resources.some((r) => r.ResourceName === v),
  EventSource: (e, v) => e.eventSource === v,
  AccessKeyId: (e, v) => e.accessKeyId === v,
};

/**
 * AWS CloudTrail LookupEvents over AWS JSON 1.1 (target
 * "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents" from botocore,
 * "CloudTrail_20131101.LookupEvents" from the JS SDK): seeded
 * management events, newest first, at most one lookup attribute, time range, MaxResults
 * 1-50, NextToken paging, and AWS's limit of 2 lookups per second per account.
 */
export class CloudTrailSim {
  readonly service: AwsJsonService;
  readonly #events: TrailEvent[] = [];
  readonly #lookupsPerSecond: number;
  #lookupTimes: number[] = [];

  constructor(opts: CloudTrailSimOptions = {}) {
    this.#lookupsPerSecond = opts.lookupsPerSecond ?? 2;
    this.service = new AwsJsonService(
      {
        targetPrefixes: ['com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101', 'CloudTrail_20131101'],
        signingName: 'cloudtrail',
        state: () => this.state(),
        seed: (body) => this.seedEvents((body as { events?: SeedEvent[] }).events ?? []),
        operations: { LookupEvents: (input) => this.#lookupEvents(input) },
      },
      opts,
    );
  }

  get faults() {
    return this.service.faults;
  }

  start(): Promise<SimServer> {
    return this.service.start();
  }

  /** Adds events; returns their ids. */
  seedEvents(events: SeedEvent[]): string[] {
    return events.map((seed) => {
      const event = this.#toTrailEvent(seed);
      this.#events.push(event);
      return event.eventId;
    });
  }

  state(): { events: JsonObject[] } {
    return { events: this.#events.map((e) => e.record) };
  }

  #toTrailEvent(seed: SeedEvent): TrailEvent {
    const { accountId, region } = this.service;
    const eventId = seed.eventId ?? randomUUID();
    const eventTime = typeof seed.eventTime === 'number' ? seed.eventTime : new Date(seed.eventTime).getTime();
    const readOnly = seed.readOnly ?? /^(Get|Describe|List|Lookup)/.test(seed.eventName);
    const userIdentity = seed.userIdentity ?? {
      type: 'IAMUser',
      principalId: 'AIDAEXAMPLEPRINCIPAL',
      arn: `arn:aws:iam::${accountId}:user/${seed.username ?? 'unknown'}`,
      accountId,
      ...(seed.accessKeyId ? { accessKeyId: seed.accessKeyId } : {}),
      ...(seed.username ? { userName: seed.username } : {}),
    };
    const record: JsonObject = {
      eventVersion: '1.08',
      userIdentity,
      eventTime: isoSeconds(eventTime),
      eventSource: seed.eventSource,
      eventName: seed.eventName,
      awsRegion: region,
      sourceIPAddress: seed.sourceIPAddress ?? '198.51.100.1',
      userAgent: seed.userAgent ?? 'aws-cli/2.15.0',
      ...(seed.errorCode ? { errorCode: seed.errorCode, errorMessage: seed.errorMessage } : {}),
      requestParameters: seed.requestParameters ?? null,
      responseElements: seed.responseElements ?? null,
      requestID: randomUUID(),
      eventID: eventId,
      readOnly,
      ...(seed.resources?.length ? { resources: seed.resources.map((r) => ({ ARN: r.ResourceName, type: r.ResourceType })) } : {}),
      eventType: 'AwsApiCall',
      managementEvent: true,
      recipientAccountId: accountId,
      eventCategory: 'Management',
    };
    return {
      eventId,
      eventName: seed.eventName,
      eventSource: seed.eventSource,
      eventTime,
      username: seed.username,
      accessKeyId: seed.accessKeyId ?? (userIdentity.accessKeyId as string | undefined),
      readOnly,
      resources: seed.resources ?? [],
      record,
    };
  }

  #lookupEvents(input: JsonObject) {
    this.#throttle();
    const attributes = (input.LookupAttributes as LookupAttribute[] | undefined) ?? [];
    const maxResults = input.MaxResults as number | undefined;
    validate(rangeViolation('maxResults', maxResults, 1, 50), ...attributes.map((a, i) => attributeViolations(a, i + 1)));
    if (attributes.length > 1) {
      throw new AwsError('InvalidLookupAttributesException', 'You cannot specify more than one lookup attribute.');
    }
    const start = toMs(input.StartTime);
    const end = toMs(input.EndTime);
    if (start !== undefined && end !== undefined && start > end) {
      throw new AwsError('InvalidTimeRangeException', 'Start time must be before end time.');
    }
    const oldest = Math.max(start ?? -Infinity, this.service.clock.now() - RETENTION_MS);
    const attribute = attributes[0];
    const matching = this.#events
      .filter((e) => e.eventTime >= oldest && (end === undefined || e.eventTime <= end))
      .filter((e) => !attribute || matchers[attribute.AttributeKey!]!(e, attribute.AttributeValue!))
      .map((e, i) => ({ e, i }))
      .sort((a, b) => b.e.eventTime - a.e.eventTime || b.i - a.i)
      .map(({ e }) => e);
    const query = JSON.stringify([input.LookupAttributes, input.StartTime, input.EndTime, input.EventCategory]);
    const offset = decodeToken(input.NextToken, query, 'Invalid NextToken');
    const page = matching.slice(offset, offset + (maxResults ?? 50));
    const next = offset + page.length;
    return {
      Events: page.map((e) => ({
        EventId: e.eventId,
        EventName: e.eventName,
        ReadOnly: String(e.readOnly),
        AccessKeyId: e.accessKeyId,
        EventTime: epochSeconds(e.eventTime),
        EventSource: e.eventSource,
        Username: e.username,
        Resources: e.resources,
        CloudTrailEvent: JSON.stringify(e.record),
      })),
      NextToken: next < matching.length ? encodeToken(next, query) : undefined,
    };
  }

  /** AWS allows 2 LookupEvents per second per account; the window moves with the simulator's clock. */
  #throttle(): void {
    const now = this.service.clock.now();
    this.#lookupTimes = this.#lookupTimes.filter((t) => t > now - 1000);
    if (this.#lookupTimes.length >= this.#lookupsPerSecond) throw throttlingError();
    this.#lookupTimes.push(now);
  }
}

function attributeViolations(a: LookupAttribute, n: number): Violation[] {
  const member = `lookupAttributes.${n}.member`;
  const key = a.AttributeKey;
  return [
    ...(key !== undefined && ATTRIBUTE_KEYS.includes(key)
      ? []
      : [{ value: key, member: `${member}.attributeKey`, constraint: `Member must satisfy enum value set: [${ATTRIBUTE_KEYS.join(', ')}]` }]),
    ...(a.AttributeValue === undefined ? [{ value: undefined, member: `${member}.attributeValue`, constraint: 'Member must not be null' }] : []),
    ...lengthViolation(`${member}.attributeValue`, a.AttributeValue, 1, 2000),
  ];
}
