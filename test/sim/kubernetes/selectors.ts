import { errors } from './status.js';

type Labels = Record<string, string> | undefined;

interface Requirement {
  key: string;
  op: 'in' | 'notin' | 'exists' | '!';
  values: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/**
 * Parses the `labelSelector` query parameter: "a=b", "a==b", "a!=b", "a in (x,y)",
 * "a notin (x)", "a", "!a", comma-separated (commas inside parentheses belong to the set).
 */
export function parseSelector(text: string | null | undefined): Requirement[] {
  if (!text) return [];
  const terms = text.match(/(?:[^,(]|\([^)]*\))+/g) ?? [];
  return terms.map((raw) => {
    const term = raw.trim();
    let m = term.match(/^([\w./-]+)\s*(==|=|!=)\s*([\w.-]*)$/);
    if (m) return { key: m[1] as string, op: m[2] === '!=' ? 'notin' : 'in', values: [m[3] as string] };
    m = term.match(/^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/);
    if (m) return { key: m[1] as string, op: m[2] as 'in' | 'notin', values: (m[3] as string).split(',').map((v) => v.trim()) };
    m = term.match(/^(!?)([\w./-]+)$/);
    if (m) return { key: m[2] as string, op: m[1] ? '!' : 'exists', values: [] };
    throw errors.badRequest(`unable to parse requirement: found '${term}', expected: identifier`);
  });
}

export function matches(requirements: Requirement[], labels: Labels): boolean {
  return requirements.every((r) => {
    const v = labels?.[r.key];
    switch (r.op) {
      case 'in':
        return v !== undefined && r.values.includes(v);
      case 'notin':
        return v === undefined || !r.values.includes(v);
      case 'exists':
        return v !== undefined;
      case '!':
        return v === undefined;
    }
  });
}

/** A LabelSelector object as requirements (the Deployment's spec.selector). */
export function fromLabelSelector(s: LabelSelector | undefined): Requirement[] {
  const reqs: Requirement[] = Object.entries(s?.matchLabels ?? {}).map(([key, v]) => ({ key, op: 'in', values: [v] }));
  for (const e of s?.matchExpressions ?? []) {
    const op = ({ In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!' } as const)[e.operator as 'In'];
    reqs.push({ key: e.key, op, values: [...(e.values ?? [])].sort() });
  }
  return reqs.sort((a, b) => a.key.localeCompare(b.key));
}

/** The selector as labels.Selector.String() renders it, e.g. "app=nginx,tier in (a,b)" (Scale.status.selector). */
export function selectorString(s: LabelSelector | undefined): string {
  return fromLabelSelector(s)
    .map((r) => {
      if (r.op === 'exists') return r.key;
      if (r.op === '!') return `!${r.key}`;
      if (r.op === 'in' && r.values.length === 1) return `${r.key}=${r.values[0]}`;
      return `${r.key} ${r.op} (${r.values.join(',')})`;
    })
    .join(',');
}
