import { Type, type Static, type TObject } from '@sinclair/typebox';
import { credentialSchema, EnvRef } from '../core/credential.js';
import { defaultDetectors } from '../../detectors/registry.js';
import { defaultExchanges } from '../integrations/exchanges/registry.js';
import type { ExchangeList } from '../integrations/exchanges/module.js';

/**
 * The one schema of leakguard.yaml. The TypeScript type `Config` is derived from it, and
 * the loader validates against it with defaults applied; there is no second copy.
 */
const Server = Type.Object(
  {
    host: Type.String({ default: '127.0.0.1' }),
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
    bodyLimit: Type.Integer({ minimum: 1024, maximum: 10 * 1024 * 1024, default: 1024 * 1024, description: 'largest request body in bytes' }),
    egressIps: Type.Array(Type.String(), { default: [], description: "LeakGuard's own egress IPs; added to every new key's IP list" }),
    shutdownGraceMs: Type.Integer({ minimum: 0, default: 10_000 }),
    // What keeps a flood of clients, or slow ones, from starving the service (and its /healthz).
    requestTimeoutMs: Type.Integer({ minimum: 100, default: 10_000, description: 'a request, headers and body, must arrive within this; a slower one is cut off with 408' }),
    idleTimeoutMs: Type.Integer({ minimum: 100, default: 30_000, description: 'a connection with nothing sent or received for this long is closed' }),
    keepAliveTimeoutMs: Type.Integer({ minimum: 100, default: 5_000, description: 'how long a kept-alive connection may wait for its next request' }),
    maxConnections: Type.Integer({ minimum: 1, default: 1_024, description: 'open connections at most; more are refused at once, before they hold a file descriptor for long' }),
    rateLimit: Type.Object(
      {
        max: Type.Integer({ minimum: 1, default: 600, description: 'requests per client IP and window, on every route' }),
        windowMs: Type.Integer({ minimum: 1_000, default: 60_000 }),
      },
      { additionalProperties: false, default: {} },
    ),
    metrics: Type.Object(
      {
        cacheMs: Type.Integer({ minimum: 0, default: 5_000, description: '/metrics answers from a copy this old at most, so scraping it costs nothing' }),
        tokenSha256: Type.Optional(Type.String({ pattern: '^[0-9a-f]{64}$', description: 'SHA-256 hex of a bearer token /metrics then requires; never the token' })),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false, default: {} },
);

const Store = Type.Object(
  {
    url: Type.String({ minLength: 1, default: './data/leakguard.db', description: 'a SQLite file path (one replica) or a postgres:// URL (several replicas)' }),
  },
  { additionalProperties: false, default: {} },
);

const Aws = Type.Object(
  {
    region: Type.String({ default: 'us-east-1' }),
    endpoints: Type.Object(
      {
        secretsmanager: Type.Optional(Type.String()),
        events: Type.Optional(Type.String()),
        cloudtrail: Type.Optional(Type.String()),
      },
      { additionalProperties: false, default: {}, description: 'per-service endpoint overrides (VPC endpoints, or simulators in tests)' },
    ),
  },
  { additionalProperties: false, default: {} },
);

const Kubernetes = Type.Object(
  {
    kubeconfig: Type.Optional(Type.String({ description: 'path of a kubeconfig; in-cluster service account when absent' })),
    context: Type.Optional(Type.String()),
  },
  { additionalProperties: false, default: {} },
);

/** One section per detector of the registry, `detectors.<name>`, from its own schema. */
const Detectors = Type.Object(Object.fromEntries(defaultDetectors.map((d): [string, TObject] => [d.name, d.configSchema])), { additionalProperties: false, default: {} });

const Retention = Type.Object(
  {
    // GitHub redelivers a delivery for 3 days: a processed one is kept longer, so a redelivery stays a duplicate.
    maxAgeDays: Type.Integer({ minimum: 7, default: 30, description: 'signals no incident holds, processed deliveries, done work and baselines untouched for this long are deleted; incidents, timelines and the audit log are kept' }),
    everyMinutes: Type.Integer({ minimum: 1, maximum: 1_440, default: 60, description: 'how often the pruning runs (once across replicas)' }),
  },
  { additionalProperties: false, default: {} },
);

const ScheduledRotation = Type.Object(
  {
    // Off unless set (the shipped configs set it): the check reads every key at the exchange, which a config written for detection only may not expect.
    enabled: Type.Boolean({ default: false, description: 'credentials whose key is older than rotationDays (or that the exchange expires within 3 days) get the scheduled playbook' }),
    everyMinutes: Type.Integer({ minimum: 1, maximum: 1_440, default: 60, description: "how often every credential's key age is checked against its rotationDays (once across replicas)" }),
  },
  { additionalProperties: false, default: {} },
);

/** One step of a playbook as written in config; the runner fills the rest (src/runner/playbook.ts). */
const StepSpec = Type.Object(
  {
    step: Type.String({ minLength: 1, description: 'the responder: freeze, revoke, cancel, rotate, ...' }),
    id: Type.Optional(Type.String({ minLength: 1, description: 'unique within the playbook; defaults to the step name' })),
    params: Type.Record(Type.String(), Type.Unknown(), { default: {} }),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 1 })),
    retries: Type.Optional(Type.Integer({ minimum: 0, maximum: 20 })),
    backoffMs: Type.Optional(Type.Integer({ minimum: 0 })),
    group: Type.Optional(Type.String({ description: 'adjacent steps with the same group run together' })),
    after: Type.Optional(Type.String({ minLength: 1, description: 'in a group: start once this earlier step of the group has ended (done, or failed on every attempt)' })),
    approval: Type.Optional(Type.Object({ reason: Type.String(), autoApproveAfterMs: Type.Optional(Type.Integer({ minimum: 0 })) }, { additionalProperties: false })),
  },
  { additionalProperties: false },
);

const Playbooks = Type.Record(Type.String(), Type.Object({ steps: Type.Array(StepSpec, { minItems: 1 }) }, { additionalProperties: false }), {
  default: {},
  description: 'overrides of the default playbooks, by name',
});

const Notifiers = Type.Object(
  {
    // Read at start, before any AWS call can be made: an environment variable.
    slack: Type.Optional(Type.Object({ webhookUrl: EnvRef, channel: Type.Optional(Type.String()) }, { additionalProperties: false })),
    eventbridge: Type.Optional(Type.Object({ busName: Type.String({ default: 'default' }) }, { additionalProperties: false })),
    log: Type.Boolean({ default: true }),
  },
  { additionalProperties: false, default: {} },
);

export const ROLES = ['viewer', 'operator', 'admin'] as const;
const ApiToken = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    sha256: Type.String({ pattern: '^[0-9a-f]{64}$', description: 'SHA-256 hex of the bearer token; never the token' }),
    roles: Type.Array(Type.Union(ROLES.map((r) => Type.Literal(r))), { minItems: 1, uniqueItems: true }),
  },
  { additionalProperties: false },
);

/** Operators signing in through an identity provider: its JWTs are verified against its JWKS, a claim gives the roles. */
const Oidc = Type.Object(
  {
    issuer: Type.String({ minLength: 1 }),
    audience: Type.String({ minLength: 1 }),
    jwksUrl: Type.String({ pattern: '^https?://', description: "the provider's JSON Web Key Set" }),
    rolesClaim: Type.String({ minLength: 1, default: 'groups', description: 'the claim holding the caller\'s groups (a string or a list)' }),
    roleMap: Type.Record(Type.String(), Type.Union(ROLES.map((r) => Type.Literal(r))), { minProperties: 1, description: 'a value of the roles claim -> the role it grants' }),
    nameClaim: Type.String({ minLength: 1, default: 'sub', description: 'the claim that names the caller in the audit log' }),
  },
  { additionalProperties: false },
);

const Api = Type.Object(
  {
    tokens: Type.Array(ApiToken, { default: [] }),
    oidc: Type.Optional(Oidc),
    rotations: Type.Object({ maxConcurrent: Type.Integer({ minimum: 1, maximum: 50, default: 2, description: 'rotations of one bulk request running at once, at most' }) }, { additionalProperties: false, default: {} }),
  },
  { additionalProperties: false, default: {} },
);

/**
 * The schema for a list of exchanges: each module's section under `exchanges:`, and the
 * credential's `exchange` field naming one of them.
 */
export const configSchema = (exchanges: ExchangeList) =>
  Type.Object(
    {
      server: Server,
      store: Store,
      aws: Aws,
      kubernetes: Kubernetes,
      exchanges: Type.Object(Object.fromEntries(exchanges.map((m): [string, TObject] => [m.name, m.configSchema])), { additionalProperties: false, default: {} }),
      credentials: Type.Array(credentialSchema(exchanges.map((m) => m.name)), { default: [] }),
      detectors: Detectors,
      rulesFile: Type.Optional(Type.String({ description: 'YAML rules file; the built-in rules when absent' })),
      playbooks: Playbooks,
      retention: Retention,
      scheduledRotation: ScheduledRotation,
      notifiers: Notifiers,
      api: Api,
    },
    { additionalProperties: false },
  );

export const ConfigSchema = configSchema(defaultExchanges);
export type Config = Static<typeof ConfigSchema>;
export type Role = (typeof ROLES)[number];
