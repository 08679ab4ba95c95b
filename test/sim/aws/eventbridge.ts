import { randomUUID } from 'node:crypto';
import type { SimServer } from '../http.js';
import { lengthViolation, required, validate } from './errors.js';
import { AwsJsonService, isoSeconds, toMs, type AwsSimOptions, type JsonObject } from './json-protocol.js';

/** An event as EventBridge delivers it to a target (the envelope every AWS event has). */
export interface DeliveredEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: JsonObject;
  /** Not part of the envelope: which bus it was put on. */
  eventBusName: string;
}

/** Makes the next `count` well-formed entries fail with this per-entry ErrorCode (AWS's retryable ones). */
export interface EntryFailure {
  count: number;
  errorCode: 'ThrottlingException' | 'InternalFailure' | (string & {});
  errorMessage?: string;
}

interface PutEventsEntry {
  Time?: unknown;
  Source?: string;
  Resources?: string[];
  DetailType?: string;
  Detail?: string;
  EventBusName?: string;
}

type ResultEntry = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

const DEFAULT_MESSAGES: Record<string, string> = {
  ThrottlingException: 'Rate exceeded',
  InternalFailure: 'Internal Failure',
};

/**
 * Amazon EventBridge PutEvents over AWS JSON 1.1 (target "AWSEvents.PutEvents"): 1 to 10
 * entries, per-entry results in request order, failed entries answered with HTTP 200 and
 * FailedEntryCount, with the error codes and texts AWS records. Accepted events are kept
 * in `events`.
 */
export class EventBridgeSim {
  readonly service: AwsJsonService;
  readonly events: DeliveredEvent[] = [];
  #failures: EntryFailure[] = [];

  constructor(opts: AwsSimOptions = {}) {
    this.service = new AwsJsonService(
      {
        targetPrefixes: ['AWSEvents'],
        signingName: 'events',
        state: () => this.state(),
        seed: (body) => {
          const failure = (body as { failNextEntries?: EntryFailure }).failNextEntries;
          if (failure) this.failNextEntries(failure.count, failure.errorCode, failure.errorMessage);
          return this.state();
        },
        operations: { PutEvents: (input) => this.#putEvents(input) },
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

  failNextEntries(count: number, errorCode: EntryFailure['errorCode'] = 'InternalFailure', errorMessage?: string): void {
    this.#failures.push({ count, errorCode, errorMessage });
  }

  state(): { events: DeliveredEvent[]; pendingEntryFailures: EntryFailure[] } {
    return { events: this.events, pendingEntryFailures: this.#failures };
  }

  #putEvents(input: JsonObject) {
    const entries = input.Entries as PutEventsEntry[] | undefined;
    validate(required('entries', entries), lengthViolation('entries', entries, 1, 10));
    const results = entries!.map((entry) => this.#accept(entry));
    return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
  }

  #accept(entry: PutEventsEntry): ResultEntry {
    for (const member of ['Source', 'DetailType', 'Detail'] as const) {
      if (!entry[member]) {
        return { ErrorCode: 'InvalidArgument', ErrorMessage: `Parameter ${member} is not valid. Reason: ${member} is a required argument.` };
      }
    }
    const detail = parseObject(entry.Detail!);
    if (!detail) return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    const failure = this.#failures[0];
    if (failure) {
      if (--failure.count <= 0) this.#failures.shift();
      return { ErrorCode: failure.errorCode, ErrorMessage: failure.errorMessage ?? DEFAULT_MESSAGES[failure.errorCode] ?? failure.errorCode };
    }
    const id = randomUUID();
    this.events.push({
      version: '0',
      id,
      'detail-type': entry.DetailType!,
      source: entry.Source!,
      account: this.service.accountId,
      time: isoSeconds(toMs(entry.Time) ?? this.service.clock.now()),
      region: this.service.region,
      resources: entry.Resources ?? [],
      detail,
      eventBusName: entry.EventBusName ?? 'default',
    });
    return { EventId: id };
  }
}

/** Detail must be a JSON object: strings, arrays and broken JSON are all "malformed" (recorded AWS answers). */
function parseObject(text: string): JsonObject | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : undefined;
  } catch {
    return undefined;
  }
}
