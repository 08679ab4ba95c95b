import pino, { type DestinationStream, type Logger } from 'pino';
import type { Scrubber } from '../core/scrubber.js';

/** Field names that carry secrets; their values are censored before serialisation. */
const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers["x-hub-signature-256"]',
  'headers.authorization',
  '*.apiSecret',
  '*.api_secret',
  '*.apiKey',
  '*.api_key',
  '*.secret',
  '*.password',
  '*.token',
  '*.SecretString',
];

/**
 * The process logger. Field redaction catches known names; every finished line also
 * passes through the scrubber, which catches secrets echoed inside messages (exchanges
 * put the key into error texts).
 */
export function createLogger(scrubber: Scrubber, opts: { level?: string; destination?: DestinationStream } = {}): Logger {
  return pino(
    {
      level: opts.level ?? process.env.LOG_LEVEL ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      hooks: { streamWrite: (line: string) => scrubber.scrub(line) },
      base: { service: 'leakguard' },
    },
    opts.destination ?? pino.destination(1),
  );
}
