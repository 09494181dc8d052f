/**
 * Runs a perf measurement: a probe request, an optional warm-up, then for every load level a load
 * generator and back-to-back measurement windows until the last three agree (or `maxTrials` runs
 * out). The step's figures merge its last (up to) three windows; the server breakdown is the
 * statistics delta over the same span.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { InferenceClient } from '@tensorgate/client';
import { summarize } from './latency-stats.js';
import { closedLoop, openLoop, type LoadGenerator } from './load-generators.js';
import type { PerfReport, PerfStep } from './perf-report.js';
import type { ProgressDisplay } from './progress.js';
import type { RequestDriver } from './request-driver.js';
import type { RequestDistribution } from './schedule.js';
import { breakdown, readSnapshot, type StatsSnapshot } from './server-stats.js';
import { isStable, STABILITY_WINDOWS } from './stability.js';
import { WindowRecorder, windowFigures, type MeasuredWindow, type RequestOutcome } from './window-recorder.js';

/** Everything that shapes a run (parsed options). */
export interface PerfSettings {
  readonly model: string;
  readonly modelVersion?: string;
  readonly protocol: 'grpc' | 'http';
  readonly url: string;
  readonly streaming: boolean;
  readonly mode: 'concurrency' | 'request-rate';
  readonly levels: readonly number[];
  readonly distribution: RequestDistribution;
  readonly seed: number;
  readonly maxInflight: number;
  readonly measurementIntervalMs: number;
  readonly stabilityPercentage: number;
  readonly maxTrials: number;
  readonly percentile?: number;
  readonly batchSize: number;
  readonly inputData: string;
  readonly warmupRequests: number;
  readonly warmupMs: number;
}

/** What the runner works with. */
export interface PerfDeps {
  /** For the statistics API. */
  readonly client: InferenceClient;
  /** Sends the requests. */
  readonly driver: RequestDriver;
  readonly progress: ProgressDisplay;
  readonly version: string;
}

/** A window plus the boundary facts needed to merge it. */
interface Trial extends MeasuredWindow {
  readonly statsBefore: StatsSnapshot | undefined;
  readonly statsAfter: StatsSnapshot | undefined;
  readonly cpuUs: number;
}

/**
 * Runs the whole measurement and returns the report.
 *
 * @example
 * ```ts
 * const report = await runPerf(settings, { client, driver, progress, version: '0.1.0' });
 * ```
 */
export async function runPerf(settings: PerfSettings, deps: PerfDeps): Promise<PerfReport> {
  const startedAt = new Date().toISOString();
  const probe = await once(deps.driver);
  if (probe.errorCode !== undefined) {
    throw new Error(`the first request failed: ${probe.errorMessage ?? ''} (${probe.errorCode})`);
  }
  await warmUp(settings, deps);
  const steps: PerfStep[] = [];
  for (const [index, level] of settings.levels.entries()) {
    const step = await measureLevel(settings, deps, level, index);
    steps.push(step);
    deps.progress.step(level, step.throughput.inferencesPerSec, step.latencyUs.p99, step.stable, step.requests.failed);
  }
  return {
    tool: 'tensorgate perf',
    version: deps.version,
    startedAt,
    model: settings.model,
    modelVersion: settings.modelVersion ?? '',
    protocol: settings.protocol,
    url: settings.url,
    mode: settings.mode,
    ...(settings.mode === 'request-rate' ? { requestDistribution: settings.distribution } : {}),
    streaming: settings.streaming,
    batchSize: settings.batchSize,
    inputData: settings.inputData,
    measurementIntervalMs: settings.measurementIntervalMs,
    stabilityPercentage: settings.stabilityPercentage,
    maxTrials: settings.maxTrials,
    ...(settings.percentile !== undefined ? { percentile: settings.percentile } : {}),
    steps,
  };
}

function once(driver: RequestDriver): Promise<RequestOutcome> {
  return new Promise((resolve) => driver.start(resolve));
}

async function warmUp(settings: PerfSettings, deps: PerfDeps): Promise<void> {
  if (settings.warmupRequests <= 0 && settings.warmupMs <= 0) return;
  deps.progress.note('warming up');
  const rec = new WindowRecorder();
  const concurrency = settings.mode === 'concurrency' ? settings.levels[0]! : 1;
  const gen = closedLoop(deps.driver, concurrency, () => rec);
  const t0 = performance.now();
  while (
    (settings.warmupRequests > 0 && rec.ok + rec.failed < settings.warmupRequests) ||
    (settings.warmupMs > 0 && performance.now() - t0 < settings.warmupMs)
  ) {
    await sleep(5);
  }
  await gen.stop();
}

function startGenerator(
  settings: PerfSettings,
  deps: PerfDeps,
  level: number,
  index: number,
  target: () => WindowRecorder,
): LoadGenerator {
  if (settings.mode === 'concurrency') return closedLoop(deps.driver, level, target);
  return openLoop(
    deps.driver,
    {
      ratePerSec: level,
      distribution: settings.distribution,
      seed: settings.seed + index,
      maxInflight: settings.maxInflight,
    },
    target,
  );
}

function cpuUs(): number {
  const c = process.cpuUsage();
  return c.user + c.system;
}

async function measureLevel(settings: PerfSettings, deps: PerfDeps, level: number, index: number): Promise<PerfStep> {
  let current = new WindowRecorder();
  let stats = await readSnapshot(deps.client, settings.model, settings.modelVersion);
  let cpu = cpuUs();
  let windowStart = performance.now();
  const gen = startGenerator(settings, deps, level, index, () => current);
  const trials: Trial[] = [];
  let stable = false;
  try {
    while (trials.length < settings.maxTrials && !stable) {
      await sleep(Math.max(0, windowStart + settings.measurementIntervalMs - performance.now()));
      const recorder = current;
      current = new WindowRecorder();
      const end = performance.now();
      const cpuEnd = cpuUs();
      const statsAfter = await readSnapshot(deps.client, settings.model, settings.modelVersion);
      trials.push({ recorder, durationMs: end - windowStart, statsBefore: stats, statsAfter, cpuUs: cpuEnd - cpu });
      windowStart = end;
      stats = statsAfter;
      cpu = cpuEnd;
      const figures = trials.map((t) => windowFigures(t, settings.percentile));
      stable = isStable(figures, settings.stabilityPercentage);
      const last = figures[figures.length - 1]!;
      deps.progress.window({
        level,
        trial: trials.length,
        maxTrials: settings.maxTrials,
        throughput: last.throughput * settings.batchSize,
        latencyUs: last.latency,
      });
    }
  } finally {
    await gen.stop();
  }
  return stepOf(settings, level, trials, stable);
}

function stepOf(settings: PerfSettings, level: number, trials: readonly Trial[], stable: boolean): PerfStep {
  const used = trials.slice(-STABILITY_WINDOWS);
  const merged = WindowRecorder.merge(used.map((t) => t.recorder));
  const durationMs = used.reduce((s, t) => s + t.durationMs, 0);
  const first = used[0]!;
  const last = used[used.length - 1]!;
  const server = first.statsBefore && last.statsAfter ? breakdown(first.statsBefore, last.statsAfter) : null;
  const seconds = durationMs / 1000;
  const cpu = used.reduce((s, t) => s + t.cpuUs, 0);
  const finished = merged.ok + merged.failed;
  const step: PerfStep = {
    ...(settings.mode === 'concurrency' ? { concurrency: level } : { requestRate: level }),
    stable,
    trials: trials.length,
    windowsUsed: used.length,
    durationMs,
    requests: {
      ok: merged.ok,
      failed: merged.failed,
      errors: merged.errors,
      ...(merged.firstError !== undefined ? { firstError: merged.firstError } : {}),
    },
    throughput: { requestsPerSec: merged.ok / seconds, inferencesPerSec: (merged.ok * settings.batchSize) / seconds },
    latencyUs: merged.latency(settings.percentile),
    server,
    ...(settings.streaming
      ? {
          streaming: {
            responses: merged.responses,
            responsesPerRequest: merged.ok > 0 ? merged.responses / merged.ok : 0,
            firstResponseUs: summarize(merged.firstResponseUs.values()),
            interResponseUs: summarize(merged.interResponseUs.values()),
          },
        }
      : {}),
    ...(merged.tokenRequests > 0
      ? {
          tokens: {
            outputTokens: merged.outputTokens,
            outputTokensPerSec: merged.outputTokens / seconds,
            perRequest: merged.outputTokens / merged.tokenRequests,
          },
        }
      : {}),
    ...(settings.mode === 'request-rate'
      ? {
          schedule: {
            sent: merged.sent,
            delayed: merged.delayed,
            maxSendLagUs: merged.maxSendLagUs,
            notSent: merged.notSent,
          },
        }
      : {}),
    clientCpuUsPerRequest: finished > 0 ? cpu / finished : NaN,
  };
  return step;
}
