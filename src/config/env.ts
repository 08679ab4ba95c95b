import type { ExchangeList } from '../integrations/exchanges/module.js';

/**
 * Environment overrides for the values that differ per deployment, so one config file
 * serves every environment. Each variable sets one path; values are parsed as JSON when
 * they look like JSON (numbers, booleans, arrays), else taken as strings.
 */
const OVERRIDES: Record<string, string> = {
  LEAKGUARD_HOST: 'server.host',
  LEAKGUARD_PORT: 'server.port',
  LEAKGUARD_EGRESS_IPS: 'server.egressIps',
  LEAKGUARD_STORE_URL: 'store.url',
  LEAKGUARD_AWS_REGION: 'aws.region',
  LEAKGUARD_AWS_SECRETSMANAGER_ENDPOINT: 'aws.endpoints.secretsmanager',
  LEAKGUARD_AWS_EVENTS_ENDPOINT: 'aws.endpoints.events',
  LEAKGUARD_AWS_CLOUDTRAIL_ENDPOINT: 'aws.endpoints.cloudtrail',
  LEAKGUARD_KUBECONFIG: 'kubernetes.kubeconfig',
  LEAKGUARD_RULES_FILE: 'rulesFile',
};

/** The overrides with one per property of each exchange's section: LEAKGUARD_BYBIT_BASE_URL sets exchanges.bybit.baseUrl. */
export function envOverrides(exchanges: ExchangeList): Record<string, string> {
  const screaming = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/[^A-Za-z0-9]+/g, '_').toUpperCase();
  const fromExchanges = exchanges.flatMap((m) => Object.keys(m.configSchema.properties).map((prop) => [`LEAKGUARD_${screaming(m.name)}_${screaming(prop)}`, `exchanges.${m.name}.${prop}`]));
  return { ...OVERRIDES, ...Object.fromEntries(fromExchanges) };
}

/** The document with the overrides applied, and which variable set which path (problems there name the variable). */
export function applyEnvOverrides(doc: unknown, env: NodeJS.ProcessEnv, exchanges: ExchangeList): { doc: unknown; setBy: Map<string, string> } {
  const out = (typeof doc === 'object' && doc !== null ? structuredClone(doc) : {}) as Record<string, unknown>;
  const setBy = new Map<string, string>();
  for (const [name, path] of Object.entries(envOverrides(exchanges))) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    setPath(out, path.split('.'), parseValue(raw));
    setBy.set(path, name);
  }
  return { doc: out, setBy };
}

function parseValue(raw: string): unknown {
  if (/^[[{\d-]|^(true|false)$/.test(raw.trim())) {
    try {
      return JSON.parse(raw);
    } catch {
      // Not JSON after all (e.g. a host like 10.0.0.1): keep the text.
    }
  }
  return raw;
}

function setPath(obj: Record<string, unknown>, keys: string[], value: unknown): void {
  const [head, ...rest] = keys as [string, ...string[]];
  if (rest.length === 0) {
    obj[head] = value;
    return;
  }
  const next = obj[head];
  const child = typeof next === 'object' && next !== null ? (next as Record<string, unknown>) : {};
  obj[head] = child;
  setPath(child, rest, value);
}
