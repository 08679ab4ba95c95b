import { randomBytes, randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { ManualClock } from '../../src/core/clock.js';
import { createLeakGuard, type LeakGuard } from '../../src/leakguard.js';
import type { WorkOutcome } from '../../src/queue/worker.js';
import type { WorkItem } from '../../src/store/store.js';
import { WORLD } from '../sim/world.js';
import { e2eConfig, startE2E, type E2E } from './e2e.js';
import { watch } from './github.js';
import { sqliteStore, type TestStore } from './stores.js';

type Teardown = { teardown(fn: () => unknown): void };

export const API_KEY_ID = 'prod/leakguard/eventbridge-api-key';
export const ACCOUNT = '123456789012';
export const BOT_ROLE = `arn:aws:iam::${ACCOUNT}:role/bybit-bot`;
export const LEAKGUARD_ROLE = `arn:aws:iam::${ACCOUNT}:role/leakguard`;
export const ROTATION_ROLE = `arn:aws:iam::${ACCOUNT}:role/leakguard-rotation`;
export const DECOY = 'prod/bybit/api-backup';
export const CREDENTIAL = 'bybit-prod-trading';

export interface EventBridgeSetup {
  e2e: E2E;
  ts: TestStore;
  lg: LeakGuard;
  clock: ManualClock;
  url: string;
  apiKey: string;
  /** The credential's secret ARN, as CloudTrail names it. */
  secretArn: string;
  w: ReturnType<typeof watch>;
  ended: { item: WorkItem; outcome: WorkOutcome }[];
}

/**
 * The world with the EventBridge detector on: the API destination's key kept in Secrets Manager,
 * the bot's role expected on the credential's secret from the bot's subnet, a decoy guarding it.
 * LeakGuard runs on a manual clock (learning periods and windows move only when the test says).
 */
export async function eventBridgeSetup(t: Teardown, opts: { eventbridge?: Record<string, unknown>; expect?: Record<string, unknown>; server?: Record<string, unknown> } = {}): Promise<EventBridgeSetup> {
  const e2e = await startE2E();
  t.teardown(() => e2e.close());
  const ts = await sqliteStore(e2e.scrubber);
  t.teardown(() => ts.cleanup());
  const apiKey = `ebk_${randomBytes(16).toString('hex')}`;
  e2e.world.secretsManager.seedSecret({ name: API_KEY_ID, secretString: apiKey });
  const config = e2eConfig(e2e.world, 'direct', {
    ...(opts.server ? { server: { egressIps: [WORLD.leakguardIp], ...opts.server } } : {}),
    detectors: {
      eventbridge: {
        enabled: true,
        apiKey: { secretsManager: API_KEY_ID },
        leakguardPrincipals: [LEAKGUARD_ROLE],
        rotationPrincipals: [ROTATION_ROLE],
        credentials: { [CREDENTIAL]: { principals: [BOT_ROLE], allowedCidrs: ['10.0.1.0/24'], vpcEndpoints: ['vpce-0a1b2c3d4e5f60718'], learningHours: 24, ...opts.expect } },
        decoys: [{ secretId: DECOY, guards: [CREDENTIAL] }],
        ...opts.eventbridge,
      },
    },
  });
  const clock = new ManualClock(Date.now());
  const ended: { item: WorkItem; outcome: WorkOutcome }[] = [];
  let w: ReturnType<typeof watch> | undefined;
  const lg = await createLeakGuard(config, {
    clock,
    store: ts.store,
    clients: e2e.clients,
    scrubber: e2e.scrubber,
    logger: e2e.logger,
    runner: { pollMs: 60_000, onWork: (item, outcome) => (ended.push({ item, outcome }), w?.poke()) },
  });
  t.teardown(() => lg.close(0));
  await lg.app.listen({ host: '127.0.0.1', port: 0 });
  w = watch(lg, ended);
  await lg.start();
  const secretArn = (await e2e.clients.secrets.describeVersions(WORLD.secretId)).arn;
  const port = (lg.app.server.address() as { port: number }).port;
  return { e2e, ts, lg, clock, url: `http://127.0.0.1:${port}/events/eventbridge`, apiKey, secretArn, w, ended };
}

export interface Answer {
  status: number;
  type: string;
  body: Record<string, any>;
}

/** One POST as an API destination sends it (application/json; charset=utf-8, the connection's key header). */
export function post(url: string, body: string | Buffer, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(body)), ...headers }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        let parsed: Record<string, any> = {};
        try {
          parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          // the caller asserts
        }
        resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body: parsed });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The EventBridge envelope every event arrives in (one event per request, as an API destination sends it). */
function envelope(detailType: string, source: string, time: string, detail: Record<string, unknown>) {
  return { version: '0', id: randomUUID(), 'detail-type': detailType, source, account: ACCOUNT, time, region: 'us-east-1', resources: [], detail };
}

export interface Call {
  eventName?: string;
  secretId: string;
  /** A role ARN: the call is made in an assumed-role session of it. */
  role?: string;
  ip?: string;
  userAgent?: string;
  vpcEndpointId?: string;
  requestID?: string;
  eventTime?: number;
  errorCode?: string;
  eventID?: string;
}

/**
 * A Secrets Manager call as EventBridge delivers CloudTrail's record ("AWS API Call via
 * CloudTrail"; the record's fields as CloudTrail's userIdentity and Secrets Manager entries give them).
 */
export function apiCallEvent(c: Call) {
  const role = c.role ?? BOT_ROLE;
  const roleName = role.split('/').pop()!;
  const time = new Date(c.eventTime ?? Date.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return envelope('AWS API Call via CloudTrail', 'aws.secretsmanager', time, {
    eventVersion: '1.09',
    userIdentity: {
      type: 'AssumedRole',
      principalId: `AROAEXAMPLE${roleName.toUpperCase().replace(/[^A-Z]/g, '')}:session`,
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${roleName}/session-1`,
      accountId: ACCOUNT,
      accessKeyId: 'ASIAEXAMPLEKEY000001',
      sessionContext: { sessionIssuer: { type: 'Role', principalId: 'AROAEXAMPLE', arn: role, accountId: ACCOUNT, userName: roleName }, attributes: { creationDate: time, mfaAuthenticated: 'false' } },
    },
    eventTime: time,
    eventSource: 'secretsmanager.amazonaws.com',
    eventName: c.eventName ?? 'GetSecretValue',
    awsRegion: 'us-east-1',
    sourceIPAddress: c.ip ?? WORLD.botIp,
    userAgent: c.userAgent ?? 'aws-sdk-js/3.600.0 ua/2.0 os/linux lang/js md/nodejs#20.11.0',
    ...(c.errorCode ? { errorCode: c.errorCode, errorMessage: `User is not authorized to perform: secretsmanager:${c.eventName ?? 'GetSecretValue'}` } : {}),
    requestParameters: { secretId: c.secretId },
    responseElements: null,
    requestID: c.requestID ?? randomUUID(),
    eventID: c.eventID ?? randomUUID(),
    readOnly: (c.eventName ?? 'GetSecretValue').startsWith('Get'),
    resources: c.errorCode ? undefined : [{ accountId: ACCOUNT, type: 'AWS::SecretsManager::Secret', ARN: c.secretId }],
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: ACCOUNT,
    eventCategory: 'Management',
    ...(c.vpcEndpointId ? { vpcEndpointId: c.vpcEndpointId } : {}),
    tlsDetails: { tlsVersion: 'TLSv1.3', cipherSuite: 'TLS_AES_128_GCM_SHA256', clientProvidedHostHeader: 'secretsmanager.us-east-1.amazonaws.com' },
  });
}

/** A rotation service event ("AWS Service Event via CloudTrail", eventType AwsServiceEvent, the secret in additionalEventData.SecretId). */
export function rotationEvent(eventName: 'RotationSucceeded' | 'RotationFailed' | 'RotationAbandoned', secretArn: string) {
  const time = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  return envelope('AWS Service Event via CloudTrail', 'aws.secretsmanager', time, {
    eventVersion: '1.09',
    userIdentity: { accountId: ACCOUNT, invokedBy: 'secretsmanager.amazonaws.com' },
    eventTime: time,
    eventSource: 'secretsmanager.amazonaws.com',
    eventName,
    awsRegion: 'us-east-1',
    sourceIPAddress: 'secretsmanager.amazonaws.com',
    userAgent: 'secretsmanager.amazonaws.com',
    requestParameters: null,
    responseElements: null,
    additionalEventData: { SecretId: secretArn },
    requestID: randomUUID(),
    eventID: randomUUID(),
    readOnly: false,
    eventType: 'AwsServiceEvent',
    managementEvent: true,
    recipientAccountId: ACCOUNT,
    eventCategory: 'Management',
  });
}

/** A GuardDuty finding event (the envelope of guardduty_findings_cloudwatch; detail as GetFindings' Finding) about an IAM principal's access key. */
export function findingEvent(f: { id?: string; type?: string; severity: number; userName: string; accessKeyId?: string; updatedAt?: string; count?: number }) {
  const now = new Date().toISOString();
  return envelope('GuardDuty Finding', 'aws.guardduty', now, {
    schemaVersion: '2.0',
    accountId: ACCOUNT,
    region: 'us-east-1',
    partition: 'aws',
    id: f.id ?? randomBytes(16).toString('hex'),
    arn: `arn:aws:guardduty:us-east-1:${ACCOUNT}:detector/12abc34d567e8fa901bc2d34e56789f0/finding/${f.id ?? 'x'}`,
    type: f.type ?? 'CredentialAccess:IAMUser/AnomalousBehavior',
    resource: {
      resourceType: 'AccessKey',
      accessKeyDetails: { accessKeyId: f.accessKeyId ?? 'ASIAEXAMPLEKEY000001', principalId: 'AROAEXAMPLE:session', userName: f.userName, userType: 'AssumedRole' },
    },
    service: { serviceName: 'guardduty', detectorId: '12abc34d567e8fa901bc2d34e56789f0', action: { actionType: 'AWS_API_CALL', awsApiCallAction: { api: 'GetSecretValue', serviceName: 'secretsmanager.amazonaws.com' } }, count: f.count ?? 1 },
    severity: f.severity,
    createdAt: now,
    updatedAt: f.updatedAt ?? now,
    title: 'Anomalous API requests were invoked by a principal',
    description: 'APIs commonly used in CredentialAccess tactics were invoked by principal.',
  });
}
