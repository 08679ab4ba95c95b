import { Type, type Static } from '@sinclair/typebox';
import { detectorSection } from '../../src/intake/section.js';

const FieldPaths = (description: string, paths: string[]) => Type.Array(Type.String({ minLength: 1 }), { default: paths, description });

/** A bearer token of the log shipper: only its SHA-256 is in the config, so the config holds no secret. */
const Token = Type.Object(
  {
    name: Type.String({ minLength: 1, description: 'who holds it, e.g. fluent-bit-prod; named in logs' }),
    sha256: Type.String({ pattern: '^[0-9a-f]{64}$', description: 'hex SHA-256 of the token (printf %s "$TOKEN" | sha256sum)' }),
    credentialId: Type.Optional(Type.String({ minLength: 1, description: 'every line sent with this token belongs to this credential; else each record is mapped by its Kubernetes fields' })),
  },
  { additionalProperties: false },
);

export const AuthErrorsConfig = detectorSection(
  {
    spike: Type.Object(
      {
        windowSeconds: Type.Integer({ minimum: 10, maximum: 3600, default: 60, description: 'the sliding window auth errors are counted in' }),
        floor: Type.Integer({ minimum: 1, default: 20, description: 'auth errors in a window below which nothing is a spike, whatever the baseline' }),
        multiple: Type.Number({ minimum: 1, default: 5, description: "a spike is also more than this many times the credential's learned errors per window" }),
        banFloor: Type.Integer({ minimum: 1, default: 3, description: 'HTTP 403/418 lines in a window that give an IP-ban or WAF signal' }),
      },
      { additionalProperties: false, default: {} },
    ),
    podLogs: Type.Object(
      {
        enabled: Type.Boolean({ default: true, description: "follow every pod of each credential's workload through the Kubernetes API (needs get/list/watch pods and get pods/log)" }),
      },
      { additionalProperties: false, default: {} },
    ),
    ingest: Type.Object(
      {
        tokens: Type.Array(Token, { default: [], description: 'bearer tokens accepted by POST /ingest/logs; none: the route refuses everything' }),
        batchesPerMinute: Type.Integer({ minimum: 1, default: 6_000, description: 'batches taken per minute from one address (instead of server.rateLimit): a shipper retries a refused batch, but a backlog must not be cut off' }),
        maxBytes: Type.Integer({ minimum: 1024, maximum: 64 * 1024 * 1024, default: 8 * 1024 * 1024, description: 'largest body as sent (compressed or not)' }),
        maxDecompressedBytes: Type.Integer({ minimum: 1024, maximum: 256 * 1024 * 1024, default: 64 * 1024 * 1024, description: 'largest gzip body once decompressed (413 beyond)' }),
        fields: Type.Object(
          {
            message: FieldPaths('where the log line is in a record, first found wins', ['log', 'message', 'msg']),
            namespace: FieldPaths("the pod's namespace", ['kubernetes.namespace_name', 'kubernetes.pod_namespace']),
            pod: FieldPaths("the pod's name", ['kubernetes.pod_name']),
            labels: FieldPaths("the pod's labels (an object)", ['kubernetes.labels', 'kubernetes.pod_labels']),
          },
          { additionalProperties: false, default: {}, description: "dotted paths in a JSON record: Fluent Bit's kubernetes filter and Vector's kubernetes_logs source by default" },
        ),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  "auth-error spikes in the bot's logs: pod logs followed through the Kubernetes API, and POST /ingest/logs from a log shipper",
);
export type AuthErrorsConfig = Static<typeof AuthErrorsConfig>;
export type SpikeConfig = AuthErrorsConfig['spike'];
