/**
 * Environment overrides for the values that differ per deployment, so one config file
 * serves every environment. Each variable sets one path; values are parsed as JSON when
 * they look like JSON (numbers, booleans, arrays), else taken as strings.
 */
export const ENV_OVERRIDES: Record<string, string> = {
  LEAKGUARD_HOST: 'server.host',
  LEAKGUARD_PORT: 'server.port',
  LEAKGUARD_EGRESS_IPS: 'server.egressIps',
  LEAKGUARD_STORE_URL: 'store.url',
  LEAKGUARD_AWS_REGION: 'aws.region',
  LEAKGUARD_AWS_SECRETSMANAGER_ENDPOINT: 'aws.endpoints.secretsmanager',
  LEAKGUARD_AWS_EVENTS_ENDPOINT: 'aws.endpoints.events',
  LEAKGUARD_AWS_CLOUDTRAIL_ENDPOINT: 'aws.endpoints.cloudtrail',
  LEAKGUARD_KUBECONFIG: 'kubernetes.kubeconfig',
  LEAKGUARD_BYBIT_BASE_URL: 'exchanges.bybit.baseUrl',
  LEAKGUARD_BINANCE_BASE_URL: 'exchanges.binance.baseUrl',
  LEAKGUARD_RULES_FILE: 'rulesFile',
};

export function applyEnvOverrides(doc: unknown, env: NodeJS.ProcessEnv): unknown {
  const out = (typeof doc === 'object' && doc !== null ? structuredClone(doc) : {}) as Record<string, unknown>;
  for (const [name, path] of Object.entries(ENV_OVERRIDES)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    setPath(out, path.split('.'), parseValue(raw));
  }
  return out;
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
