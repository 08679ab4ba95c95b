import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { defaultExchanges } from '../integrations/exchanges/registry.js';
import type { ExchangeList } from '../integrations/exchanges/module.js';
import { configSchema, ConfigSchema, type Config } from './schema.js';
import { applyEnvOverrides } from './env.js';

/** Every problem found in a config, each as "path: what is wrong". Exit code 2 at start. */
export class ConfigError extends Error {
  readonly problems: string[];
  constructor(source: string, problems: string[]) {
    super(`${source} is not a valid LeakGuard config:\n${problems.map((p) => `  - ${p}`).join('\n')}\nFix these and run \`leakguard config check ${source}\` again.`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false, verbose: true });
/** One compiled validator per exchange list: the default one, and any a test adds an exchange to. */
const validators = new WeakMap<ExchangeList, ValidateFunction<Config>>([[defaultExchanges, ajv.compile<Config>(ConfigSchema)]]);

function validatorFor(exchanges: ExchangeList): ValidateFunction<Config> {
  let validate = validators.get(exchanges);
  if (!validate) {
    validate = ajv.compile<Config>(configSchema(exchanges));
    validators.set(exchanges, validate);
  }
  return validate;
}

/**
 * Validates an already-parsed document, applying defaults; throws ConfigError listing every
 * problem. `setBy` names the environment variable that set a path, for problems found there.
 */
export function parseConfig(doc: unknown, source = 'config', exchanges: ExchangeList = defaultExchanges, setBy = new Map<string, string>()): Config {
  const value = structuredClone(doc ?? {});
  const validate = validatorFor(exchanges);
  if (validate(value)) return checkSemantics(value, source, exchanges);
  throw new ConfigError(source, formatErrors(validate.errors ?? []).map((p) => fromEnv(p, setBy)));
}

/** "server.port: must be integer" -> "server.port (set by LEAKGUARD_PORT): must be integer"; the value is not repeated (it may be a URL with a password). */
function fromEnv(problem: string, setBy: Map<string, string>): string {
  const path = problem.slice(0, problem.indexOf(':'));
  const name = [...setBy].find(([p]) => path === p || path.startsWith(`${p}.`) || path.startsWith(`${p}[`))?.[1];
  return name ? `${path} (set by the environment variable ${name})${problem.slice(path.length)}` : problem;
}

/** Reads a YAML file, applies LEAKGUARD_* environment overrides, validates. */
export function loadConfig(path: string, env: NodeJS.ProcessEnv = process.env, exchanges: ExchangeList = defaultExchanges): Config {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(path, [`cannot read the file (${(err as NodeJS.ErrnoException).code ?? 'error'}); pass an existing file with --config or LEAKGUARD_CONFIG`]);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ConfigError(path, [`not valid YAML: ${(err as Error).message.split('\n')[0]}`]);
  }
  const overridden = applyEnvOverrides(doc ?? {}, env, exchanges);
  return parseConfig(overridden.doc, path, exchanges, overridden.setBy);
}

/** Rules a JSON schema cannot say: unique ids, references between sections, and each exchange's own rules. */
function checkSemantics(config: Config, source: string, exchanges: ExchangeList): Config {
  const modules = new Map(exchanges.map((m) => [m.name, m]));
  const problems: string[] = [];
  const seen = new Map<string, number>();
  config.credentials.forEach((c, i) => {
    const first = seen.get(c.id);
    if (first !== undefined) problems.push(`credentials[${i}].id: "${c.id}" is already used by credentials[${first}]`);
    else seen.set(c.id, i);
    // The schema admits only listed exchanges.
    problems.push(...modules.get(c.exchange)!.credentialProblems(c, `credentials[${i}]`));
    if ((c.trades.categories.includes('linear') || c.trades.categories.includes('inverse')) && c.trades.settleCoins.length === 0 && c.trades.symbols.length === 0)
      problems.push(`credentials[${i}].trades.settleCoins: linear and inverse need settleCoins or symbols to cancel orders`);
  });
  if (problems.length) throw new ConfigError(source, problems);
  return config;
}

function formatErrors(errors: ErrorObject[]): string[] {
  const out = new Set<string>();
  for (const e of errors) {
    // A failed union repeats every branch's complaint; its own "anyOf" line says enough.
    if (errors.some((o) => o !== e && o.keyword === 'anyOf' && e.instancePath.startsWith(o.instancePath) && e.schemaPath.startsWith(o.schemaPath.replace(/\/anyOf$/, '/anyOf/')))) continue;
    const path = toPath(e.instancePath);
    const at = (p: string) => (p ? p : '(top level)');
    switch (e.keyword) {
      case 'required':
        out.add(`${at(join(path, (e.params as { missingProperty: string }).missingProperty))}: required`);
        break;
      case 'additionalProperties':
        out.add(`${at(join(path, (e.params as { additionalProperty: string }).additionalProperty))}: unknown field`);
        break;
      case 'anyOf':
        out.add(`${at(path)}: must be one of the allowed forms${describeUnion(e)}`);
        break;
      default:
        out.add(`${at(path)}: ${e.message ?? 'invalid'}`);
    }
  }
  return [...out];
}

/** The forms a union allows: its constants ("bybit", "binance"), or its objects by their fields ({env: …} or {secretsManager: …}) and what they are for. */
function describeUnion(e: ErrorObject): string {
  const parent = e.parentSchema as { anyOf?: Array<{ const?: unknown; properties?: Record<string, unknown> }>; description?: string } | undefined;
  const branches = parent?.anyOf ?? [];
  if (!branches.length) return '';
  if (branches.every((b) => b.const !== undefined)) return ` (${branches.map((b) => JSON.stringify(b.const)).join(', ')})`;
  if (!branches.every((b) => b.properties)) return '';
  const forms = branches.map((b) => `{${Object.keys(b.properties!).map((k) => `${k}: …`).join(', ')}}`).join(' or ');
  return `: ${forms}${parent?.description ? ` (${parent.description})` : ''}`;
}

/** "/credentials/1/workload" -> "credentials[1].workload" */
function toPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, seg) => (/^\d+$/.test(seg) ? `${acc}[${seg}]` : join(acc, seg)), '');
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}
