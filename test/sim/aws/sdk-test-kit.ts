import { DEFAULT_CREDENTIALS } from './json-protocol.js';

/** Test-side helpers for driving the AWS simulators with the real SDK clients. */

const [[ACCESS_KEY_ID, SECRET_ACCESS_KEY]] = Object.entries(DEFAULT_CREDENTIALS) as [[string, string]];

/**
 * Client configuration for a simulator: its endpoint, us-east-1, the simulators' default
 * static credentials, and one attempt so retries don't hide errors (override as needed).
 */
export function clientConfig(url: string, overrides: Record<string, unknown> = {}) {
  return {
    endpoint: url,
    region: 'us-east-1',
    credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY },
    maxAttempts: 1,
    ...overrides,
  };
}

export interface WireResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

interface RawResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: unknown;
}

type Handler = (args: unknown) => Promise<{ response: unknown }>;

/** Any AWS SDK v3 client (its middleware stack is typed per client; only `add` is used). */
interface WithMiddleware {
  middlewareStack: { add(middleware: any, options: any): unknown }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/**
 * Records every HTTP answer a client receives, as bytes on the wire, before the SDK parses
 * it: lets tests assert the wire format (epoch-second numbers, __type, x-amzn-ErrorType).
 */
export function recordWire(client: WithMiddleware): WireResponse[] {
  const seen: WireResponse[] = [];
  client.middlewareStack.add(
    (next: Handler): Handler => async (args) => {
      const result = await next(args);
      const response = result.response as RawResponse;
      const chunks: Buffer[] = [];
      for await (const chunk of response.body as AsyncIterable<Buffer>) chunks.push(Buffer.from(chunk));
      const bytes = Buffer.concat(chunks);
      // Hand the SDK the same bytes, already collected.
      response.body = new Uint8Array(bytes);
      seen.push({ status: response.statusCode, headers: response.headers, body: bytes.toString('utf8') });
      return result;
    },
    { step: 'deserialize', name: 'recordWire' },
  );
  return seen;
}
