/**
 * The server-side breakdown of a step: the model's statistics (Triton's statistics extension)
 * read at window boundaries, subtracted, and divided per request, as perf_analyzer reports
 * "Server: queue, compute input, compute infer, compute output".
 */
import type { InferenceClient, InferenceStatistics } from '@tensorgate/client';
import type { ServerBreakdown } from './perf-report.js';

/** Cumulative counters of one model (all its versions in the answer, summed). */
export interface StatsSnapshot {
  readonly inferences: number;
  readonly executions: number;
  readonly successCount: number;
  readonly successNs: number;
  readonly queueNs: number;
  readonly computeInputNs: number;
  readonly computeInferNs: number;
  readonly computeOutputNs: number;
}

const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v ?? 0));

/** Sums the statistics answer into one snapshot. */
export function snapshotOf(stats: InferenceStatistics): StatsSnapshot {
  let s = {
    inferences: 0,
    executions: 0,
    successCount: 0,
    successNs: 0,
    queueNs: 0,
    computeInputNs: 0,
    computeInferNs: 0,
    computeOutputNs: 0,
  };
  for (const m of stats.model_stats) {
    const is = m.inference_stats;
    s = {
      inferences: s.inferences + num(m.inference_count),
      executions: s.executions + num(m.execution_count),
      successCount: s.successCount + num(is['success']?.count),
      successNs: s.successNs + num(is['success']?.ns),
      queueNs: s.queueNs + num(is['queue']?.ns),
      computeInputNs: s.computeInputNs + num(is['compute_input']?.ns),
      computeInferNs: s.computeInferNs + num(is['compute_infer']?.ns),
      computeOutputNs: s.computeOutputNs + num(is['compute_output']?.ns),
    };
  }
  return s;
}

/**
 * Per-request averages between two snapshots (µs); null when no request succeeded in between.
 *
 * @example
 * ```ts
 * breakdown(before, after)?.queueUs;
 * ```
 */
export function breakdown(before: StatsSnapshot, after: StatsSnapshot): ServerBreakdown | null {
  const requests = after.successCount - before.successCount;
  if (requests <= 0) return null;
  const perRequestUs = (a: number, b: number): number => (b - a) / requests / 1000;
  const inferences = after.inferences - before.inferences;
  const executions = after.executions - before.executions;
  return {
    inferences,
    executions,
    avgBatchSize: executions > 0 ? inferences / executions : 0,
    requestUs: perRequestUs(before.successNs, after.successNs),
    queueUs: perRequestUs(before.queueNs, after.queueNs),
    computeInputUs: perRequestUs(before.computeInputNs, after.computeInputNs),
    computeInferUs: perRequestUs(before.computeInferNs, after.computeInferNs),
    computeOutputUs: perRequestUs(before.computeOutputNs, after.computeOutputNs),
  };
}

/** Reads a snapshot; undefined when the server has no statistics API (the breakdown is then omitted). */
export async function readSnapshot(
  client: InferenceClient,
  model: string,
  version: string | undefined,
): Promise<StatsSnapshot | undefined> {
  try {
    return snapshotOf(await client.getInferenceStatistics(model, version));
  } catch {
    return undefined;
  }
}
