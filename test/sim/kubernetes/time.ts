/** metav1.Time: RFC 3339 in UTC with second precision, e.g. "2021-06-23T17:01:10Z". */
export const rfc3339 = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The kubelet's log timestamps (RFC 3339 with nanoseconds); we have milliseconds. */
export const rfc3339Nano = (ms: number) => new Date(ms).toISOString().replace(/Z$/, '000000Z');

export const parseTime = (s: string | undefined) => (s ? Date.parse(s) : undefined);

const UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go time.Duration string ("1h", "15m30s", "0") in milliseconds; undefined when malformed. */
export function parseGoDuration(s: string): number | undefined {
  if (s === '0') return 0;
  const parts = [...s.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== s) return undefined;
  return parts.reduce((sum, p) => sum + Number(p[1]) * (UNITS[p[2] as string] as number), 0);
}
