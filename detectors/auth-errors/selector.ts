/**
 * Whether labels satisfy a Kubernetes label selector as a credential's workload names it:
 * "a=b", "a==b", "a!=b", "a in (x,y)", "a notin (x)", "a", "!a", comma-separated. A term this
 * cannot read matches nothing, so a record is never given to a credential on a guess.
 */
export function selectorMatches(selector: string, labels: Record<string, unknown>): boolean {
  const terms = selector.match(/(?:[^,(]|\([^)]*\))+/g) ?? [];
  return terms.every((raw) => {
    const term = raw.trim();
    let m = /^([\w./-]+)\s*(==|=|!=)\s*([\w.-]*)$/.exec(term);
    if (m) return (labels[m[1]!] === m[3]) === (m[2] !== '!=');
    m = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
    if (m) return m[3]!.split(',').map((v) => v.trim()).includes(String(labels[m[1]!])) === (m[2] === 'in') && (m[2] === 'notin' || m[1]! in labels);
    m = /^(!?)([\w./-]+)$/.exec(term);
    if (m) return (m[2]! in labels) === !m[1];
    return false;
  });
}
