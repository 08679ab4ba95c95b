import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import type { Clock } from '../../core/clock.js';
import type { Scrubber } from '../../core/scrubber.js';
import { call, DEFAULT_POLICY, type CallPolicy } from '../call.js';
import { IntegrationError } from '../errors.js';
import { classifyAws } from './classify.js';
import { awsClientConfig, type AwsClientOptions } from './config.js';
import type { KeyMaterial } from '../exchanges/exchange.js';

export const AWSCURRENT = 'AWSCURRENT';
export const AWSPENDING = 'AWSPENDING';
export const AWSPREVIOUS = 'AWSPREVIOUS';

/** The JSON a credential's secret holds, as the runbook writes it. */
export interface ExchangeKeySecret {
  api_key: string;
  api_secret: string;
  api_key_id: string;
  created_at: string;
  created_by: string;
  rotation_reason: string;
}

export interface SecretVersionInfo {
  versionId: string;
  stages: string[];
  createdAt: number | null;
}

/** A version with its key material: held in memory by the step that needs it, then dropped. */
export interface KeyVersion {
  versionId: string;
  stages: string[];
  /** What an exchange call is signed with. */
  material: KeyMaterial;
  secret: ExchangeKeySecret;
}

const SYSTEM = 'AWS Secrets Manager';

/** One call LeakGuard made to Secrets Manager, as AWS named it (CloudTrail's requestID) and when its answer came. */
export interface SecretsCall {
  requestId: string;
  operation: string;
  /** The SecretId the call named. */
  target: string | null;
  at: number;
}
/** Versions readVersion keeps in memory: a few incidents' worth of keys. */
const VERSIONS_KEPT = 64;

/**
 * Secrets Manager in LeakGuard's words: read a credential's key, write a new version under
 * a client request token, promote, roll back, list versions, and run a Lambda rotation.
 * Every key it reads or writes is registered with the scrubber first.
 */
export class SecretsClient {
  readonly #sdk: SecretsManagerClient;
  /** Versions read by readVersion, oldest first; values only (registered with the scrubber when read). */
  readonly #versions = new Map<string, Omit<KeyVersion, 'stages'>>();
  readonly #classify = classifyAws(SYSTEM, {
    not_found: 'check the credential\'s secretId in the config and that the secret exists in this region',
    conflict: 'a different value was already written under this client request token; the step must use a new attempt',
  });

  readonly #callListeners = new Set<(call: SecretsCall) => void>();

  constructor(
    opts: AwsClientOptions,
    private readonly clock: Clock,
    private readonly scrubber: Scrubber,
    private readonly policy: CallPolicy = DEFAULT_POLICY,
  ) {
    this.#sdk = new SecretsManagerClient(awsClientConfig(opts));
    // Every HTTP attempt, answered or refused: each has its own request id in CloudTrail.
    this.#sdk.middlewareStack.add(
      (next, context) => async (args) => {
        const input = (args.input ?? {}) as { SecretId?: string };
        const seen = (requestId: string | undefined) => {
          if (!requestId || !this.#callListeners.size) return;
          const call: SecretsCall = { requestId, operation: context.commandName?.replace(/Command$/, '') ?? 'unknown', target: input.SecretId ?? null, at: this.clock.now() };
          for (const listener of this.#callListeners) listener(call);
        };
        try {
          const out = await next(args);
          seen(requestIdOf(out));
          return out;
        } catch (err) {
          seen(requestIdOf(err));
          throw err;
        }
      },
      { step: 'deserialize', name: 'leakguardCallLog' },
    );
  }

  /** Tells `listener` of every call made from now on (LeakGuard's call log); returns how to stop. */
  observeCalls(listener: (call: SecretsCall) => void): () => void {
    this.#callListeners.add(listener);
    return () => this.#callListeners.delete(listener);
  }

  #call<T>(operation: string, signal: AbortSignal | undefined, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return call({ system: SYSTEM, operation, clock: this.clock, policy: this.policy, classify: this.#classify, ...(signal ? { signal } : {}) }, fn);
  }

  /** The key the secret holds at a stage (AWSCURRENT by default) or version. */
  async readKey(secretId: string, which: { stage?: string; versionId?: string } = {}, signal?: AbortSignal): Promise<KeyVersion> {
    const out = await this.#call('GetSecretValue', signal, (s) =>
      this.#sdk.send(new GetSecretValueCommand({ SecretId: secretId, ...(which.versionId ? { VersionId: which.versionId } : { VersionStage: which.stage ?? AWSCURRENT }) }), { abortSignal: s }),
    );
    const secret = parseKeySecret(out.SecretString, { system: SYSTEM, operation: 'GetSecretValue', source: secretId }, this.scrubber);
    const version = { versionId: out.VersionId!, secret, material: { apiKey: secret.api_key, apiSecret: secret.api_secret } };
    this.#remember(secretId, version);
    return { ...version, stages: out.VersionStages ?? [] };
  }

  /**
   * The key a version holds, without its stages (they move; the value does not: Secrets Manager
   * refuses a second value under one VersionId). A version read once is served from memory:
   * the break-glass path reads the leaked key when the incident opens, in cancel, in the
   * positions snapshot and in revoke.
   */
  async readVersion(secretId: string, versionId: string, signal?: AbortSignal): Promise<Omit<KeyVersion, 'stages'>> {
    const known = this.#versions.get(`${secretId}\n${versionId}`);
    if (known) return known;
    const { stages: _, ...version } = await this.readKey(secretId, { versionId }, signal);
    return version;
  }

  /** Every version read is kept by its id (the incident's target read at open serves the steps after it). */
  #remember(secretId: string, version: Omit<KeyVersion, 'stages'>): void {
    const id = `${secretId}\n${version.versionId}`;
    if (this.#versions.has(id)) return;
    if (this.#versions.size >= VERSIONS_KEPT) this.#versions.delete(this.#versions.keys().next().value!);
    this.#versions.set(id, version);
  }

  /**
   * Writes a new version under `token` (the caller's idempotency key: incident, step,
   * attempt). Writing the same value again returns the same version.
   */
  async writeKey(secretId: string, token: string, secret: ExchangeKeySecret, stage: typeof AWSCURRENT | typeof AWSPENDING, signal?: AbortSignal, rotationToken?: string): Promise<string> {
    this.#register(secret);
    // A rotation function passes on the event's RotationToken: AWS checks with it who asked (an assumed or cross-account role).
    const out = await this.#call('PutSecretValue', signal, (s) =>
      this.#sdk.send(
        new PutSecretValueCommand({ SecretId: secretId, ClientRequestToken: token, SecretString: JSON.stringify(secret), VersionStages: [stage], ...(rotationToken ? { RotationToken: rotationToken } : {}) }),
        { abortSignal: s },
      ),
    );
    return out.VersionId!;
  }

  async listVersions(secretId: string, signal?: AbortSignal): Promise<SecretVersionInfo[]> {
    return (await this.describeVersions(secretId, signal)).versions;
  }

  /** The secret's ARN and name (how CloudTrail and EventBridge name it) with every version. */
  async describeVersions(secretId: string, signal?: AbortSignal): Promise<{ arn: string; name: string; versions: SecretVersionInfo[] }> {
    const versions: SecretVersionInfo[] = [];
    let token: string | undefined;
    let arn = '';
    let name = '';
    do {
      const out = await this.#call('ListSecretVersionIds', signal, (s) =>
        this.#sdk.send(new ListSecretVersionIdsCommand({ SecretId: secretId, IncludeDeprecated: true, ...(token ? { NextToken: token } : {}) }), { abortSignal: s }),
      );
      arn = out.ARN ?? arn;
      name = out.Name ?? name;
      for (const v of out.Versions ?? []) versions.push({ versionId: v.VersionId!, stages: v.VersionStages ?? [], createdAt: v.CreatedDate ? v.CreatedDate.getTime() : null });
      token = out.NextToken;
    } while (token);
    return { arn, name, versions };
  }

  /** A secret that holds one plain value (a webhook secret, an API key of a detector), registered with the scrubber. */
  async readText(secretId: string, signal?: AbortSignal): Promise<string> {
    const out = await this.#call('GetSecretValue', signal, (s) => this.#sdk.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: AWSCURRENT }), { abortSignal: s }));
    const text = out.SecretString?.trim();
    if (!text) throw new IntegrationError({ system: SYSTEM, operation: 'GetSecretValue', kind: 'invalid_request', retryable: false, detail: `${secretId} holds no SecretString`, action: `put the value into ${secretId} as a plain SecretString` });
    this.scrubber.register(text);
    return text;
  }

  async findVersion(secretId: string, versionId: string, signal?: AbortSignal): Promise<SecretVersionInfo | undefined> {
    return (await this.listVersions(secretId, signal)).find((v) => v.versionId === versionId);
  }

  /** The version holding a stage, if any. */
  async versionAt(secretId: string, stage: string, signal?: AbortSignal): Promise<SecretVersionInfo | undefined> {
    return (await this.listVersions(secretId, signal)).find((v) => v.stages.includes(stage));
  }

  /**
   * Makes `versionId` AWSCURRENT (AWS then moves AWSPREVIOUS to the old one) and clears
   * AWSPENDING from it. Idempotent: promoting the current version changes nothing.
   */
  async promote(secretId: string, versionId: string, signal?: AbortSignal): Promise<{ previousVersionId: string | undefined }> {
    const versions = await this.listVersions(secretId, signal);
    const current = versions.find((v) => v.stages.includes(AWSCURRENT));
    const target = versions.find((v) => v.versionId === versionId);
    if (!target) throw new IntegrationError({ system: SYSTEM, operation: 'promote', kind: 'not_found', retryable: false, detail: `version ${versionId} is not in ${secretId}`, action: 'the new version was never written; run the rotate step again' });
    if (current?.versionId !== versionId) {
      await this.#moveStage(secretId, AWSCURRENT, versionId, current?.versionId, signal);
    }
    if (target.stages.includes(AWSPENDING)) await this.#moveStage(secretId, AWSPENDING, undefined, versionId, signal);
    return { previousVersionId: current?.versionId === versionId ? versions.find((v) => v.stages.includes(AWSPREVIOUS))?.versionId : current?.versionId };
  }

  /** Removes AWSPENDING from a version (an abandoned rotation's new key). */
  async clearPending(secretId: string, versionId: string, signal?: AbortSignal): Promise<void> {
    const v = await this.findVersion(secretId, versionId, signal);
    if (v?.stages.includes(AWSPENDING)) await this.#moveStage(secretId, AWSPENDING, undefined, versionId, signal);
  }

  /** AWSCURRENT back to the AWSPREVIOUS version; returns the version now current. */
  async rollback(secretId: string, signal?: AbortSignal): Promise<{ currentVersionId: string; replacedVersionId: string }> {
    const versions = await this.listVersions(secretId, signal);
    const previous = versions.find((v) => v.stages.includes(AWSPREVIOUS));
    const current = versions.find((v) => v.stages.includes(AWSCURRENT));
    if (!previous || !current) throw new IntegrationError({ system: SYSTEM, operation: 'rollback', kind: 'not_found', retryable: false, detail: `${secretId} has no AWSPREVIOUS version`, action: 'put the old key back by hand (runbook, Rollback option 2) or rotate to a new key' });
    await this.#moveStage(secretId, AWSCURRENT, previous.versionId, current.versionId, signal);
    return { currentVersionId: previous.versionId, replacedVersionId: current.versionId };
  }

  async #moveStage(secretId: string, stage: string, to: string | undefined, from: string | undefined, signal?: AbortSignal): Promise<void> {
    await this.#call('UpdateSecretVersionStage', signal, (s) =>
      this.#sdk.send(
        new UpdateSecretVersionStageCommand({ SecretId: secretId, VersionStage: stage, ...(to ? { MoveToVersionId: to } : {}), ...(from ? { RemoveFromVersionId: from } : {}) }),
        { abortSignal: s },
      ),
    );
  }

  /**
   * For `lambda` rotation owners: starts a rotation under `token` and waits until its version
   * is AWSCURRENT. Secrets Manager creates that version (AWSPENDING, empty) before the rotation
   * function runs and retries a failed rotation on its own, so a version under one of `ours`
   * (this step's tokens so far, `token` among them) that is still AWSPENDING is waited for, never
   * started again. A rotation that stalls fails when the budget (`signal`) ends.
   */
  async rotate(secretId: string, token: string, opts: { ours?: string[]; pollMs?: number; signal?: AbortSignal } = {}): Promise<string> {
    const ours = new Set([token, ...(opts.ours ?? [])]);
    const mine = (stages: Record<string, string[]>) => Object.keys(stages).find((id) => ours.has(id));
    let versionId = mine(await this.#stagesById(secretId, opts.signal));
    if (versionId === undefined) {
      try {
        await this.#call('RotateSecret', opts.signal, (s) =>
          this.#sdk.send(new RotateSecretCommand({ SecretId: secretId, ClientRequestToken: token, RotateImmediately: true }), { abortSignal: s }),
        );
        versionId = token;
      } catch (err) {
        if ((err as IntegrationError).code !== 'InvalidRequestException') throw err;
        // "A previous rotation isn't complete": ours (an answer lost on the way), or someone else's.
        const stages = await this.#stagesById(secretId, opts.signal);
        versionId = mine(stages);
        if (versionId === undefined) throw pendingVersion(stages) ? rotationInTheWay(secretId, pendingVersion(stages)!, err) : err;
      }
    }
    for (;;) {
      const stages = (await this.#stagesById(secretId, opts.signal))[versionId] ?? [];
      if (stages.includes(AWSCURRENT)) return versionId;
      if (!stages.includes(AWSPENDING)) {
        throw new IntegrationError({
          system: SYSTEM,
          operation: 'RotateSecret',
          kind: 'failed',
          retryable: false,
          detail: `the rotation of ${secretId} under version ${versionId} was abandoned: that version is no longer AWSPENDING`,
          action: "see the rotation function's CloudWatch logs, then run the step again (it starts a new rotation)",
        });
      }
      await this.clock.sleep(opts.pollMs ?? 1_000, opts.signal);
    }
  }

  async #stagesById(secretId: string, signal: AbortSignal | undefined): Promise<Record<string, string[]>> {
    return (await this.describeRotation(secretId, signal)).stages;
  }

  /** Whether rotation is on for the secret, and each version's stages: what a rotation function checks before every step. */
  async describeRotation(secretId: string, signal?: AbortSignal): Promise<{ rotationEnabled: boolean; stages: Record<string, string[]> }> {
    const d = await this.#call('DescribeSecret', signal, (s) => this.#sdk.send(new DescribeSecretCommand({ SecretId: secretId }), { abortSignal: s }));
    return { rotationEnabled: d.RotationEnabled === true, stages: d.VersionIdsToStages ?? {} };
  }

  #register(secret: Partial<ExchangeKeySecret>): void {
    registerKey(this.scrubber, secret);
  }

  destroy(): void {
    this.#sdk.destroy();
  }
}

/** AWS's request id of an answer or error: the deserialized $metadata, else the raw response's x-amzn-requestid header. */
function requestIdOf(x: unknown): string | undefined {
  const o = x as { output?: { $metadata?: { requestId?: string } }; $metadata?: { requestId?: string }; response?: { headers?: Record<string, string> }; $response?: { headers?: Record<string, string> } } | undefined;
  return o?.output?.$metadata?.requestId ?? o?.$metadata?.requestId ?? o?.response?.headers?.['x-amzn-requestid'] ?? o?.$response?.headers?.['x-amzn-requestid'];
}

/** The version a rotation in progress works on: AWSPENDING, and not AWSCURRENT. */
function pendingVersion(stages: Record<string, string[]>): string | undefined {
  return Object.keys(stages).find((id) => stages[id]!.includes(AWSPENDING) && !stages[id]!.includes(AWSCURRENT));
}

/** RotateSecret refused because a rotation LeakGuard did not start holds AWSPENDING. */
function rotationInTheWay(secretId: string, pending: string, cause: unknown): IntegrationError {
  return new IntegrationError({
    system: SYSTEM,
    operation: 'RotateSecret',
    kind: 'conflict',
    retryable: false,
    detail: `a rotation LeakGuard did not start is in progress on ${secretId} (version ${pending} is AWSPENDING); Secrets Manager retries it on its own`,
    action: `wait for it to finish and run the step again, or end it: aws secretsmanager update-secret-version-stage --secret-id ${secretId} --version-stage AWSPENDING --remove-from-version-id ${pending}`,
    cause,
  });
}

function registerKey(scrubber: Scrubber, secret: Partial<ExchangeKeySecret>): void {
  scrubber.register(secret.api_secret);
  scrubber.register(secret.api_key);
}

/**
 * The runbook's key JSON ({api_key, api_secret, api_key_id, ...}) wherever it is kept (a Secrets
 * Manager version, an environment variable), its values registered with the scrubber before
 * anything can echo them.
 */
export function parseKeySecret(text: string | undefined, where: { system: string; operation: string; source: string }, scrubber: Scrubber): ExchangeKeySecret {
  const fail = (detail: string) =>
    new IntegrationError({ system: where.system, operation: where.operation, kind: 'invalid_request', retryable: false, detail: `${where.source} ${detail}`, action: 'store the key as {"api_key","api_secret","api_key_id",...} (runbook, Emergency Rotation step 3)' });
  let parsed: Partial<ExchangeKeySecret>;
  try {
    parsed = JSON.parse(text ?? '') as Partial<ExchangeKeySecret>;
  } catch {
    throw fail('does not hold JSON');
  }
  registerKey(scrubber, parsed);
  if (typeof parsed.api_key !== 'string' || typeof parsed.api_secret !== 'string') throw fail('lacks api_key or api_secret');
  return {
    api_key: parsed.api_key,
    api_secret: parsed.api_secret,
    api_key_id: parsed.api_key_id ?? parsed.api_key,
    created_at: parsed.created_at ?? '',
    created_by: parsed.created_by ?? '',
    rotation_reason: parsed.rotation_reason ?? '',
  };
}
