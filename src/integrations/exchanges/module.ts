import type { Static, TObject } from '@sinclair/typebox';
import type { Credential } from '../../core/credential.js';
import type { FailureKind, IntegrationError } from '../errors.js';
import type { ExchangeDeps } from './deps.js';
import type { Exchange } from './exchange.js';

/** What one error code of an exchange means to LeakGuard. */
export interface ErrorMeaning {
  kind: FailureKind;
  retryable: boolean;
  action: string;
}

/** An exchange's error map and the classifier built on it. */
export interface ExchangeErrors {
  codes: Readonly<Record<number, ErrorMeaning>>;
  /** Turns what the exchange's SDK threw into an IntegrationError; the result never keeps the SDK's error. */
  classifier(deps: Pick<ExchangeDeps, 'scrubber' | 'clock'>): (err: unknown, operation: string) => IntegrationError;
}

/**
 * One exchange as LeakGuard plugs it in (DESIGN.md, "Exchange adapter"): a folder
 * `integrations/exchanges/<name>/` whose index.ts exports this, and one line in registry.ts.
 */
export interface ExchangeModule<S extends TObject = TObject> {
  /** The credential's `exchange` value and the config section `exchanges.<name>`. */
  name: string;
  /** How people call it, in alerts and instructions. */
  title: string;
  /** Its `exchanges.<name>` section; every property gets a LEAKGUARD_<NAME>_<PROPERTY> env override. */
  configSchema: S;
  /** What the schema cannot say about a credential of this exchange, each as "path: what is wrong". */
  credentialProblems(credential: Credential, path: string): string[];
  errors: ExchangeErrors;
  create(config: Static<S>, deps: ExchangeDeps): Exchange;
}

/** The list config parsing and createExchanges are built from; a module's schema type is its own business. */
export type ExchangeList = readonly ExchangeModule[];
