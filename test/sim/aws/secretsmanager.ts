import { randomBytes, randomUUID } from 'node:crypto';
import type { SimServer } from '../http.js';
import { AwsError, lengthViolation, rangeViolation, required, validate } from './errors.js';
import { AwsJsonService, epochSeconds, type AwsSimOptions, type JsonObject } from './json-protocol.js';
import { decodeToken, encodeToken } from './paging.js';
import {
  AWSCURRENT,
  AWSPENDING,
  detach,
  holderOf,
  moveStage,
  stagesOf,
  versionById,
  type Secret,
  type SecretVersion,
} from './secret-versions.js';

export type RotationStep = 'createSecret' | 'setSecret' | 'testSecret' | 'finishSecret';

/** What Secrets Manager passes to a rotation Lambda; SecretId is the secret's ARN. */
export interface RotationEvent {
  Step: RotationStep;
  SecretId: string;
  ClientRequestToken: string;
  /** Identifies the request's source to PutSecretValue (User Guide, Rotation by Lambda function); one per rotation here. */
  RotationToken: string;
}

/** Stands in for a rotation Lambda: throw to fail the step. */
export type RotationFunction = (event: RotationEvent) => Promise<void> | void;

/** One run of the four steps; `error` says which step failed and why (the run stopped there). */
export interface RotationAttempt {
  completedSteps: RotationStep[];
  error?: string;
}

export interface RotationRecord {
  secret: string;
  token: string;
  rotationToken: string;
  /** The first run, then the runs Secrets Manager retried on its own after a failed step. */
  attempts: RotationAttempt[];
  /** failed: every run failed; AWSPENDING stays on the token's version, which may be empty. */
  outcome: 'running' | 'succeeded' | 'failed';
}

export interface SecretsManagerSimOptions extends AwsSimOptions {
  /** Rotation Lambdas by ARN. */
  rotationFunctions?: Record<string, RotationFunction>;
  /**
   * After a failed step Secrets Manager "retries the entire rotation process multiple times"
   * (User Guide, Rotation by Lambda function); how many times and how soon is not documented.
   * Default: 2 retries (3 runs), each at once; a delay is clock time.
   */
  rotationRetries?: { retries?: number; delayMs?: number };
}

export interface SeedSecret {
  name: string;
  description?: string;
  rotationLambdaArn?: string;
  /** Shorthand for one version labelled AWSCURRENT. */
  secretString?: string;
  versions?: { versionId?: string; secretString?: string; secretBinary?: string; stages?: string[] }[];
}

export interface SecretSnapshot {
  name: string;
  arn: string;
  rotationEnabled: boolean;
  rotationLambdaArn?: string;
  lastRotatedDate?: number;
  versions: { versionId: string; stages: string[]; secretString?: string; secretBinary?: string; createdDate: number }[];
}

const ROTATION_STEPS: RotationStep[] = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'];
const DAY_MS = 86_400_000;
const NOT_FOUND = "Secrets Manager can't find the specified secret.";
const NAME_PATTERN = /^[A-Za-z0-9/_+=.@-]+$/;

/**
 * AWS Secrets Manager over AWS JSON 1.1 (target prefix "secretsmanager"): CreateSecret,
 * DescribeSecret, GetSecretValue, PutSecretValue, UpdateSecretVersionStage,
 * ListSecretVersionIds, RotateSecret, with AWS's staging-label rules and error texts.
 * RotateSecret creates the token's version, labelled AWSPENDING and without a value, answers,
 * and runs the rotation function in the background, retrying the whole rotation after a failed
 * step, as AWS does; `rotationsSettled()` waits for it.
 */
export class SecretsManagerSim {
  readonly service: AwsJsonService;
  readonly rotations: RotationRecord[] = [];
  /** The RotationToken of every PutSecretValue that carried one. AWS documents no check of it beyond the caller's identity, so none is made. */
  readonly rotationTokensPut: string[] = [];
  readonly #secrets = new Map<string, Secret>();
  readonly #rotationFunctions = new Map<string, RotationFunction>();
  readonly #running = new Set<Promise<void>>();
  readonly #retries: number;
  readonly #retryDelayMs: number;

  constructor(opts: SecretsManagerSimOptions = {}) {
    this.#retries = opts.rotationRetries?.retries ?? 2;
    this.#retryDelayMs = opts.rotationRetries?.delayMs ?? 0;
    for (const [arn, fn] of Object.entries(opts.rotationFunctions ?? {})) this.#rotationFunctions.set(arn, fn);
    this.service = new AwsJsonService(
      {
        targetPrefixes: ['secretsmanager'],
        signingName: 'secretsmanager',
        state: () => this.state(),
        seed: (body) => ({ secrets: ((body as { secrets?: SeedSecret[] }).secrets ?? []).map((s) => this.seedSecret(s)) }),
        operations: {
          CreateSecret: (input) => this.#createSecret(input),
          DescribeSecret: (input) => this.#describeSecret(input),
          GetSecretValue: (input) => this.#getSecretValue(input),
          PutSecretValue: (input) => this.#putSecretValue(input),
          UpdateSecretVersionStage: (input) => this.#updateSecretVersionStage(input),
          ListSecretVersionIds: (input) => this.#listSecretVersionIds(input),
          RotateSecret: (input) => this.#rotateSecret(input),
        },
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

  setRotationFunction(arn: string, fn: RotationFunction): void {
    this.#rotationFunctions.set(arn, fn);
  }

  /** Resolves when every rotation started so far has finished or failed. */
  async rotationsSettled(): Promise<RotationRecord[]> {
    while (this.#running.size) await Promise.all(this.#running);
    return this.rotations;
  }

  /** Creates a secret directly (no API call), with versions and labels as given. */
  seedSecret(seed: SeedSecret): SecretSnapshot {
    if (this.#secrets.has(seed.name)) throw new Error(`secret ${seed.name} already exists`);
    const now = this.service.clock.now();
    const secret = this.#newSecret(seed.name, now);
    secret.description = seed.description;
    if (seed.rotationLambdaArn) secret.rotationLambdaArn = seed.rotationLambdaArn;
    const versions = seed.versions ?? (seed.secretString === undefined ? [] : [{ secretString: seed.secretString, stages: [AWSCURRENT] }]);
    for (const v of versions) {
      const version: SecretVersion = { versionId: v.versionId ?? randomUUID(), stages: [], createdAt: now };
      if (v.secretString !== undefined) version.secretString = v.secretString;
      if (v.secretBinary !== undefined) version.secretBinary = v.secretBinary;
      secret.versions.push(version);
      for (const stage of v.stages ?? []) {
        if (holderOf(secret, stage)) throw new Error(`stage ${stage} given to two versions of ${seed.name}`);
        version.stages.push(stage);
      }
    }
    this.#secrets.set(secret.name, secret);
    return snapshot(secret);
  }

  /** The raw state of one secret: every version (deprecated ones too) with labels and values. */
  secret(nameOrArn: string): SecretSnapshot | undefined {
    const secret = this.#lookup(nameOrArn);
    return secret && snapshot(secret);
  }

  state(): { secrets: SecretSnapshot[]; rotations: RotationRecord[] } {
    return { secrets: [...this.#secrets.values()].map(snapshot), rotations: this.rotations };
  }

  #newSecret(name: string, now: number): Secret {
    const suffix = randomBytes(6).toString('base64url').replace(/[-_]/g, 'x').slice(0, 6);
    const arn = `arn:aws:secretsmanager:${this.service.region}:${this.service.accountId}:secret:${name}-${suffix}`;
    return { name, arn, createdAt: now, lastChangedAt: now, rotationEnabled: false, versions: [] };
  }

  #lookup(secretId: string): Secret | undefined {
    return this.#secrets.get(secretId) ?? [...this.#secrets.values()].find((s) => s.arn === secretId);
  }

  #find(input: JsonObject): Secret {
    const secretId = input.SecretId as string | undefined;
    validate(required('secretId', secretId), lengthViolation('secretId', secretId, 1, 2048));
    const secret = this.#lookup(secretId!);
    if (!secret) throw new AwsError('ResourceNotFoundException', NOT_FOUND);
    return secret;
  }

  #createSecret(input: JsonObject) {
    const name = input.Name as string | undefined;
    const token = input.ClientRequestToken as string | undefined;
    validate(required('name', name), lengthViolation('name', name, 1, 512), lengthViolation('clientRequestToken', token, 32, 64));
    if (!NAME_PATTERN.test(name!)) {
      throw new AwsError(
        'ValidationException',
        'Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!',
        { messageKey: 'message' },
      );
    }
    if (this.#secrets.has(name!)) throw new AwsError('ResourceExistsException', `The operation failed because the secret ${name} already exists.`);
    const value = valueOf(input);
    if (value && !token) throw missingToken();
    const now = this.service.clock.now();
    const secret = this.#newSecret(name!, now);
    if (typeof input.Description === 'string') secret.description = input.Description;
    if (typeof input.KmsKeyId === 'string') secret.kmsKeyId = input.KmsKeyId;
    if (Array.isArray(input.Tags)) secret.tags = input.Tags;
    if (value) secret.versions.push({ versionId: token!, ...value, stages: [AWSCURRENT], createdAt: now });
    this.#secrets.set(secret.name, secret);
    return { ARN: secret.arn, Name: secret.name, ...(value ? { VersionId: token } : {}) };
  }

  #describeSecret(input: JsonObject) {
    const s = this.#find(input);
    const versionIdsToStages = Object.fromEntries(s.versions.filter((v) => v.stages.length).map((v) => [v.versionId, stagesOf(v)]));
    return {
      ARN: s.arn,
      Name: s.name,
      Description: s.description,
      KmsKeyId: s.kmsKeyId,
      RotationEnabled: s.rotationEnabled || undefined,
      RotationLambdaARN: s.rotationLambdaArn,
      RotationRules: s.rotationRules,
      LastRotatedDate: seconds(s.lastRotatedAt),
      LastChangedDate: seconds(s.lastChangedAt),
      LastAccessedDate: seconds(s.lastAccessedAt),
      NextRotationDate: seconds(s.nextRotationAt),
      CreatedDate: seconds(s.createdAt),
      Tags: s.tags,
      VersionIdsToStages: versionIdsToStages,
    };
  }

  #getSecretValue(input: JsonObject) {
    const secret = this.#find(input);
    const versionId = input.VersionId as string | undefined;
    const versionStage = input.VersionStage as string | undefined;
    validate(lengthViolation('versionId', versionId, 32, 64), lengthViolation('versionStage', versionStage, 1, 256));
    let version: SecretVersion | undefined;
    if (versionId !== undefined) {
      version = versionById(secret, versionId);
      if (!version) throw new AwsError('ResourceNotFoundException', `Secrets Manager can't find the specified secret value for VersionId: ${versionId}`);
      if (versionStage !== undefined && !version.stages.includes(versionStage)) {
        throw new AwsError('InvalidRequestException', 'You provided a VersionStage that is not associated to the provided VersionId.');
      }
    } else {
      const stage = versionStage ?? AWSCURRENT;
      version = holderOf(secret, stage);
      if (!version) throw new AwsError('ResourceNotFoundException', `Secrets Manager can't find the specified secret value for staging label: ${stage}`);
    }
    // The version RotateSecret created holds no value until the rotation function puts one: AWS's
    // templates read it with VersionId and AWSPENDING, and create the value on this error.
    if (version.secretString === undefined && version.secretBinary === undefined) {
      throw new AwsError(
        'ResourceNotFoundException',
        versionId !== undefined
          ? `Secrets Manager can't find the specified secret value for VersionId: ${versionId}`
          : `Secrets Manager can't find the specified secret value for staging label: ${versionStage ?? AWSCURRENT}`,
      );
    }
    // AWS records the access date without the time of day.
    const today = Math.floor(this.service.clock.now() / DAY_MS) * DAY_MS;
    secret.lastAccessedAt = today;
    version.lastAccessedAt = today;
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: version.versionId,
      SecretString: version.secretString,
      SecretBinary: version.secretBinary,
      VersionStages: stagesOf(version),
      CreatedDate: epochSeconds(version.createdAt),
    };
  }

  #putSecretValue(input: JsonObject) {
    const secret = this.#find(input);
    const token = input.ClientRequestToken as string | undefined;
    const stages = input.VersionStages as string[] | undefined;
    validate(
      lengthViolation('clientRequestToken', token, 32, 64),
      lengthViolation('versionStages', stages, 1, 20),
      ...(stages ?? []).map((s, i) => lengthViolation(`versionStages.${i + 1}.member`, s, 1, 256)),
    );
    const value = valueOf(input);
    if (!value) throw new AwsError('InvalidRequestException', 'You must provide either SecretString or SecretBinary.');
    if (!token) throw missingToken();
    if (typeof input.RotationToken === 'string') this.rotationTokensPut.push(input.RotationToken);
    const existing = versionById(secret, token);
    const now = this.service.clock.now();
    if (existing && existing.secretString === undefined && existing.secretBinary === undefined) {
      // The rotation function's createSecret: the value of the version RotateSecret created.
      Object.assign(existing, value);
      for (const stage of stages ?? [AWSCURRENT]) moveStage(secret, stage, existing);
      secret.lastChangedAt = now;
      return { ARN: secret.arn, Name: secret.name, VersionId: existing.versionId, VersionStages: stagesOf(existing) };
    }
    if (existing) {
      // Idempotent retry: same token and same value is the same version; another value is refused.
      if (existing.secretString !== value.secretString || existing.secretBinary !== value.secretBinary) {
        throw new AwsError('ResourceExistsException', "You can't modify an existing version, you can only create a new version.");
      }
      return { ARN: secret.arn, Name: secret.name, VersionId: existing.versionId, VersionStages: stagesOf(existing) };
    }
    const version: SecretVersion = { versionId: token, ...value, stages: [], createdAt: now };
    secret.versions.push(version);
    for (const stage of stages ?? [AWSCURRENT]) moveStage(secret, stage, version);
    secret.lastChangedAt = now;
    return { ARN: secret.arn, Name: secret.name, VersionId: version.versionId, VersionStages: stagesOf(version) };
  }

  #updateSecretVersionStage(input: JsonObject) {
    const secret = this.#find(input);
    const stage = input.VersionStage as string | undefined;
    const moveTo = input.MoveToVersionId as string | undefined;
    const removeFrom = input.RemoveFromVersionId as string | undefined;
    validate(
      required('versionStage', stage),
      lengthViolation('versionStage', stage, 1, 256),
      lengthViolation('moveToVersionId', moveTo, 32, 64),
      lengthViolation('removeFromVersionId', removeFrom, 32, 64),
    );
    if (moveTo === undefined && removeFrom === undefined) {
      throw new AwsError('InvalidParameterException', 'You must specify MoveToVersionId, RemoveFromVersionId, or both.');
    }
    const target = moveTo === undefined ? undefined : versionById(secret, moveTo);
    if (moveTo !== undefined && !target) throw new AwsError('InvalidParameterException', `Not a valid version: ${moveTo}`);
    if (removeFrom !== undefined && !versionById(secret, removeFrom)) {
      throw new AwsError('InvalidParameterException', `Not a valid version: ${removeFrom}`);
    }
    const holder = holderOf(secret, stage!);
    const mustName = `Staging label ${stage} is currently attached to version ${holder?.versionId}, so you must explicitly reference that version in RemoveFromVersionId.`;
    if (holder && holder !== target && removeFrom === undefined) {
      throw new AwsError('InvalidParameterException', `The parameter RemoveFromVersionId can't be empty. ${mustName}`);
    }
    if (removeFrom !== undefined && holder?.versionId !== removeFrom) {
      throw new AwsError(
        'InvalidParameterException',
        holder ? `The parameter RemoveFromVersionId doesn't match. ${mustName}` : `Staging label ${stage} is not attached to version ${removeFrom}.`,
      );
    }
    if (stage === AWSCURRENT && !target) {
      throw new AwsError('InvalidParameterException', `You can't remove the staging label ${AWSCURRENT} from a version without moving it to another version.`);
    }
    moveStage(secret, stage!, target);
    secret.lastChangedAt = this.service.clock.now();
    return { ARN: secret.arn, Name: secret.name };
  }

  #listSecretVersionIds(input: JsonObject) {
    const secret = this.#find(input);
    const maxResults = input.MaxResults as number | undefined;
    validate(rangeViolation('maxResults', maxResults, 1, 100));
    const all = secret.versions.filter((v) => input.IncludeDeprecated === true || v.stages.length);
    const start = decodeToken(input.NextToken);
    const page = all.slice(start, start + (maxResults ?? 100));
    const next = start + page.length;
    return {
      ARN: secret.arn,
      Name: secret.name,
      Versions: page.map((v) => ({
        VersionId: v.versionId,
        VersionStages: v.stages.length ? stagesOf(v) : undefined,
        CreatedDate: epochSeconds(v.createdAt),
        LastAccessedDate: seconds(v.lastAccessedAt),
        KmsKeyIds: ['DefaultEncryptionKey'],
      })),
      NextToken: next < all.length ? encodeToken(next) : undefined,
    };
  }

  #rotateSecret(input: JsonObject) {
    const secret = this.#find(input);
    const token = input.ClientRequestToken as string | undefined;
    const rules = input.RotationRules as { AutomaticallyAfterDays?: number } | undefined;
    validate(lengthViolation('clientRequestToken', token, 32, 64), rangeViolation('rotationRules.automaticallyAfterDays', rules?.AutomaticallyAfterDays, 1, 1000));
    if (!token) throw missingToken();
    const lambdaArn = (input.RotationLambdaARN as string | undefined) ?? secret.rotationLambdaArn;
    if (!lambdaArn) throw new AwsError('InvalidRequestException', 'No Lambda rotation function ARN is associated with this secret.');
    const fn = this.#rotationFunctions.get(lambdaArn);
    if (!fn) throw new AwsError('ResourceNotFoundException', 'Lambda does not exist or could not be accessed');
    const pending = holderOf(secret, AWSPENDING);
    if (pending && !pending.stages.includes(AWSCURRENT)) {
      throw new AwsError('InvalidRequestException', "A previous rotation isn't complete. That rotation will be reattempted.");
    }
    // The token becomes the new version's id; AWS does not document a RotateSecret that reuses the
    // id of a finished version, so this refuses it as the exception's documented meaning says.
    if (input.RotateImmediately !== false && versionById(secret, token)) {
      throw new AwsError('ResourceExistsException', 'A resource with the ID you requested already exists.');
    }
    const now = this.service.clock.now();
    secret.rotationEnabled = true;
    secret.rotationLambdaArn = lambdaArn;
    if (rules) secret.rotationRules = rules;
    const days = secret.rotationRules?.AutomaticallyAfterDays;
    if (typeof days === 'number') secret.nextRotationAt = now + days * DAY_MS;
    if (input.RotateImmediately !== false) {
      // Before the function runs: the token's version, AWSPENDING, no value (the templates refuse to run otherwise).
      const version: SecretVersion = { versionId: token, stages: [], createdAt: now };
      secret.versions.push(version);
      moveStage(secret, AWSPENDING, version);
      const run = this.#rotate(secret, fn, token).finally(() => this.#running.delete(run));
      this.#running.add(run);
    }
    return { ARN: secret.arn, Name: secret.name, VersionId: token };
  }

  async #rotate(secret: Secret, fn: RotationFunction, token: string): Promise<void> {
    const record: RotationRecord = { secret: secret.name, token, rotationToken: randomUUID(), attempts: [], outcome: 'running' };
    this.rotations.push(record);
    // The API answer goes out first: AWS runs the rotation function asynchronously.
    await new Promise((resolve) => setImmediate(resolve));
    for (let run = 0; ; run++) {
      const attempt: RotationAttempt = { completedSteps: [] };
      record.attempts.push(attempt);
      const error = await this.#runSteps(secret, fn, record, attempt);
      if (error === undefined) {
        record.outcome = 'succeeded';
        return;
      }
      attempt.error = error;
      if (run >= this.#retries) {
        record.outcome = 'failed';
        return;
      }
      // The whole rotation again, same token: the version and its AWSPENDING label stay.
      await this.service.clock.sleep(this.#retryDelayMs);
    }
  }

  /** One run of the four steps; the failure, if any. */
  async #runSteps(secret: Secret, fn: RotationFunction, record: RotationRecord, attempt: RotationAttempt): Promise<string | undefined> {
    const token = record.token;
    for (const step of ROTATION_STEPS) {
      try {
        await fn({ Step: step, SecretId: secret.arn, ClientRequestToken: token, RotationToken: record.rotationToken });
      } catch (err) {
        return `${step}: ${(err as Error).message}`;
      }
      attempt.completedSteps.push(step);
    }
    const version = versionById(secret, token);
    if (!version?.stages.includes(AWSCURRENT)) return `finishSecret: version ${token} is not ${AWSCURRENT} after the rotation function finished`;
    // Rotation is complete once AWSCURRENT reached the new version; AWS then drops its AWSPENDING.
    detach(version, AWSPENDING);
    secret.lastRotatedAt = this.service.clock.now();
    return undefined;
  }
}

function valueOf(input: JsonObject): { secretString?: string; secretBinary?: string } | undefined {
  const value: { secretString?: string; secretBinary?: string } = {};
  if (typeof input.SecretString === 'string') value.secretString = input.SecretString;
  if (typeof input.SecretBinary === 'string') value.secretBinary = input.SecretBinary;
  return Object.keys(value).length ? value : undefined;
}

function missingToken(): AwsError {
  return new AwsError('InvalidRequestException', 'You must provide a ClientRequestToken value. We recommend a UUID-type value.');
}

function seconds(ms: number | undefined): number | undefined {
  return ms === undefined ? undefined : epochSeconds(ms);
}

function snapshot(s: Secret): SecretSnapshot {
  return {
    name: s.name,
    arn: s.arn,
    rotationEnabled: s.rotationEnabled,
    rotationLambdaArn: s.rotationLambdaArn,
    lastRotatedDate: seconds(s.lastRotatedAt),
    versions: s.versions.map((v) => ({
      versionId: v.versionId,
      stages: stagesOf(v),
      secretString: v.secretString,
      secretBinary: v.secretBinary,
      createdDate: epochSeconds(v.createdAt),
    })),
  };
}
