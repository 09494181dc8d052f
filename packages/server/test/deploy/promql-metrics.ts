/**
 * The metric names a PromQL expression selects, parsed with Prometheus' own grammar
 * (@prometheus-io/lezer-promql, the parser of the Prometheus web UI), and the sample names a
 * /metrics page exports, so tests can check that dashboards and autoscaling rules only name
 * metrics the server really exports.
 */
import { parser } from '@prometheus-io/lezer-promql';

/**
 * Grafana and prometheus-adapter placeholders replaced by plain PromQL before parsing:
 * `$__rate_interval` and friends by a duration, `$var` / `${var}` by a label value,
 * `<<.LabelMatchers>>` by a matcher, `<<.GroupBy>>` by a label name.
 */
export function expandTemplates(expr: string): string {
  return expr
    .replace(/\$__(rate_interval|interval|range)\b/g, '5m')
    .replace(/\$\{(\w+)(:\w+)?\}|\$(\w+)/g, 'x')
    .replace(/<<\.LabelMatchers>>/g, 'pod="x"')
    .replace(/<<\.GroupBy>>/g, 'pod')
    .replace(/<<\.Series>>/g, 'x');
}

function unquote(literal: string): string {
  return JSON.parse(literal.startsWith("'") ? `"${literal.slice(1, -1).replace(/"/g, '\\"')}"` : literal) as string;
}

/**
 * The metric names selected by a PromQL expression (after {@link expandTemplates}). Throws on a
 * syntax error, and on a selector without a metric name (it could match anything).
 *
 * @example
 * ```ts
 * metricNames('sum(rate(nv_inference_request_success[1m]))'); // ['nv_inference_request_success']
 * ```
 */
export function metricNames(expr: string): string[] {
  const text = expandTemplates(expr);
  const tree = parser.parse(text);
  const names = new Set<string>();
  let error: number | undefined;
  tree.iterate({
    enter(node) {
      if (node.type.isError) error ??= node.from;
      if (node.name !== 'VectorSelector') return;
      const id = node.node.getChild('Identifier');
      if (id !== null) {
        names.add(text.slice(id.from, id.to));
        return;
      }
      // {__name__="x"} or Prometheus 3's {"x"}
      let found: string | undefined;
      const matchers = node.node.getChild('LabelMatchers');
      for (let m = matchers?.firstChild ?? null; m !== null; m = m.nextSibling) {
        const label = m.getChild('LabelName');
        const value = m.getChild('StringLiteral');
        const op = m.getChild('MatchOp');
        if (m.name === 'QuotedLabelName' || (m.name === 'QuotedLabelMatcher' && label === null && op === null)) {
          const lit = m.name === 'QuotedLabelName' ? m : m.getChild('QuotedLabelName');
          if (lit !== null) found = unquote(text.slice(lit.from, lit.to));
        } else if (label !== null && text.slice(label.from, label.to) === '__name__' && value !== null) {
          if (op !== null && text.slice(op.from, op.to) === '=') found = unquote(text.slice(value.from, value.to));
        }
      }
      if (found === undefined) throw new Error(`PromQL '${expr}': a selector names no metric`);
      names.add(found);
    },
  });
  if (error !== undefined) throw new Error(`PromQL syntax error at offset ${error} in '${text}'`);
  return [...names];
}

/**
 * Names of the samples on a Prometheus text exposition page (histograms give `_bucket`, `_sum`
 * and `_count`), i.e. what a query can select.
 */
export function exportedSampleNames(page: string): Set<string> {
  const names = new Set<string>();
  for (const line of page.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
    if (m !== null) names.add(m[0]);
  }
  return names;
}
