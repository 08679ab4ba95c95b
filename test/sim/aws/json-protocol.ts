import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { systemClock, type Clock } from '../../../src/core/clock.js';
import { FaultInjector, type ThrottleAnswer } from '../faults.js';
import { listen, type SimServer } from '../http.js';
import { AwsError } from './errors.js';
import { verifySigV4 } from './sigv4.js';

/** Options every AWS simulator takes. */
export interface AwsSimOptions {
  /** Drives the service's state (dates, rotations); usually a ManualClock in tests. */
  clock?: Clock;
  /**
   * AWS's own time: signatures are checked against it and every answer's Date header carries it.
   * The system clock by default, since SDKs sign with the host's time; a test skews it to play a
   * host whose clock is off.
   */
  wallClock?: Clock;
  region?: string;
  accountId?: string;
  /** Known credentials, access key id -> secret access key; requests signed otherwise are refused. */
  credentials?: Record<string, string>;
}

export const DEFAULT_CREDENTIALS: Readonly<Record<string, string>> = { AKIDLEAKGUARDTEST: 'test-secret' };
export const DEFAULT_REGION = 'us-east-1';
export const DEFAULT_ACCOUNT_ID = '111111111111';

export type JsonObject = Record<string, unknown>;

/** Who made the call (the access key the request was signed with). */
export interface CallContext {
  accessKeyId: string;
}

export type Operation = (input: JsonObject, call: CallContext) => unknown;

export interface AwsJsonServiceSpec {
  /**
   * X-Amz-Target prefixes the service answers to, e.g. "secretsmanager", "AWSEvents".
   * Some services have two: botocore's targetPrefix and the Smithy service name the JS SDK sends.
   */
  targetPrefixes: string[];
  /** The SigV4 signing name the credential scope must carry. */
  signingName: string;
  operations: Record<string, Operation>;
  state(): unknown;
  seed?(body: unknown): unknown;
}

const CONTENT_TYPE = 'application/x-amz-json-1.1';

/** AWS's throttling answer (the fault injector's and the built-in limits'). */
export const throttlingError = (): AwsError => new AwsError('ThrottlingException', 'Rate exceeded', { messageKey: 'message' });

/**
 * The AWS JSON 1.1 wire protocol shared by the AWS simulators: POST / with
 * `X-Amz-Target: <prefix>.<Operation>`, a SigV4 signature checked against known
 * credentials, JSON in and out, errors as `__type` + x-amzn-ErrorType. Fault names are
 * the operation names ("PutSecretValue", "PutEvents", "LookupEvents").
 */
export class AwsJsonService {
  readonly faults: FaultInjector;
  readonly clock: Clock;
  readonly wallClock: Clock;
  readonly region: string;
  readonly accountId: string;
  readonly #credentials: Record<string, string>;
  readonly #spec: AwsJsonServiceSpec;

  constructor(spec: AwsJsonServiceSpec, opts: AwsSimOptions = {}) {
    this.#spec = spec;
    this.clock = opts.clock ?? systemClock;
    this.wallClock = opts.wallClock ?? systemClock;
    this.region = opts.region ?? DEFAULT_REGION;
    this.accountId = opts.accountId ?? DEFAULT_ACCOUNT_ID;
    this.#credentials = { ...(opts.credentials ?? DEFAULT_CREDENTIALS) };
    this.faults = new FaultInjector(this.clock, () => errorAnswer(throttlingError()));
  }

  start(): Promise<SimServer> {
    return listen((req, res, body) => this.#handle(req, res, body), {
      faults: this.faults,
      state: () => this.#spec.state(),
      seed: this.#spec.seed,
    });
  }

  async #handle(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const target = String(req.headers['x-amz-target'] ?? '');
    const dot = target.lastIndexOf('.');
    const op = this.#spec.targetPrefixes.includes(target.slice(0, dot)) ? target.slice(dot + 1) : '';
    const operation = Object.hasOwn(this.#spec.operations, op) ? this.#spec.operations[op] : undefined;
    if (req.method !== 'POST' || !operation) {
      return this.#send(res, errorAnswer(new AwsError('UnknownOperationException', `Unknown operation ${target}`, { messageKey: 'message' })));
    }
    if (await this.faults.apply(op, res, req)) return;
    try {
      const accessKeyId = verifySigV4(req, body, { service: this.#spec.signingName, region: this.region, credentials: this.#credentials, now: this.wallClock.now() });
      const output = await operation(parseInput(body), { accessKeyId });
      this.#send(res, { status: 200, body: output ?? {} });
    } catch (err) {
      if (!(err instanceof AwsError)) throw err;
      this.#send(res, errorAnswer(err));
    }
  }

  /** Every answer has AWS's Date (RFC 7231), from which SDKs correct a skewed clock. */
  #send(res: ServerResponse, answer: ThrottleAnswer): void {
    res.writeHead(answer.status, { 'content-type': CONTENT_TYPE, 'x-amzn-requestid': randomUUID(), date: new Date(this.wallClock.now()).toUTCString(), ...answer.headers });
    res.end(JSON.stringify(answer.body));
  }
}

function parseInput(body: Buffer): JsonObject {
  if (body.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new AwsError('SerializationException', 'Request body is not valid JSON', { messageKey: 'message' });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new AwsError('SerializationException', 'Start of structure or map found where not expected.', { messageKey: 'message' });
  }
  return parsed as JsonObject;
}

function errorAnswer(err: AwsError): ThrottleAnswer {
  return { status: err.status, body: err.body, headers: { 'content-type': CONTENT_TYPE, 'x-amzn-errortype': err.code } };
}

/** AWS JSON timestamps are epoch seconds as JSON numbers. */
export function epochSeconds(ms: number): number {
  return ms / 1000;
}

/** SDKs send timestamps as epoch seconds (numbers); accept ISO strings too. */
export function toMs(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number') return value * 1000;
  const ms = Date.parse(String(value));
  if (Number.isNaN(ms)) throw new AwsError('SerializationException', `Invalid timestamp: ${String(value)}`, { messageKey: 'message' });
  return ms;
}

/** AWS event timestamps ("time", "eventTime"): ISO 8601 to the second. */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
