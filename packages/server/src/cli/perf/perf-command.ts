/**
 * `tensorgate perf`: a load generator and latency/throughput reporter for any KServe v2 / Triton
 * server, modelled on Triton's perf_analyzer (same option names where they mean the same).
 *
 *   tensorgate perf -m simple -i grpc --concurrency-range 1:64:2x
 *   tensorgate perf -m simple --request-rate-range 100:400:100 --request-distribution poisson -f perf.csv
 *   tensorgate perf -m repeat_int32 -i grpc --streaming --shape IN:4 --shape DELAY:4 --input-data zero
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { GrpcInferenceClient } from '@tensorgate/client/grpc';
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { CliIO } from '../tools/cli-io.js';
import {
  addConnectionOptions,
  collect,
  commandAction,
  connect,
  positiveNumber,
  resolveTarget,
  wholeNumber,
  type ConnectionOptions,
  type ExitSetter,
} from '../tools/connection.js';
import { buildInputSets } from './input-data.js';
import { levelTitle } from './perf-report.js';
import { runPerf, type PerfSettings } from './perf-runner.js';
import { ProgressDisplay } from './progress.js';
import { parseConcurrencyRange, parseRequestRateRange } from './ranges.js';
import { renderHtml } from './render-html.js';
import { renderCsv, renderReport, type ReportFormat } from './render-text.js';
import { streamingDriver, unaryDriver } from './request-driver.js';
import type { RequestDistribution } from './schedule.js';

/** Parsed options of `tensorgate perf`. */
interface PerfOptions extends ConnectionOptions {
  readonly model: string;
  readonly modelVersion?: string;
  readonly batchSize: number;
  readonly concurrencyRange?: string;
  readonly requestRateRange?: string;
  readonly requestDistribution: RequestDistribution;
  readonly seed: number;
  readonly maxInflight: number;
  readonly measurementInterval: number;
  readonly stabilityPercentage: number;
  readonly maxTrials: number;
  readonly percentile?: number;
  readonly shape: string[];
  readonly inputData: string;
  readonly stringData?: string;
  readonly stringLength: number;
  readonly streaming?: boolean;
  readonly warmupRequests: number;
  readonly warmupMs: number;
  readonly format: ReportFormat;
  readonly latencyReportFile?: string;
  readonly html?: string;
  readonly quiet?: boolean;
}

/** Registers `perf` on the program. */
export function addPerfCommand(program: Command, io: CliIO, setExit: ExitSetter, version: string): void {
  const cmd = program
    .command('perf')
    .description('measure throughput and latency of a model under load (like perf_analyzer)')
    .requiredOption('-m, --model <name>', 'model name')
    .option('-x, --model-version <version>', 'model version (default: the server picks)')
    .option('-b, --batch-size <n>', 'batch size of each request', wholeNumber(1), 1)
    .option('--concurrency-range <start:end:step>', 'requests in flight; step may be Nx to multiply (1:64:2x)')
    .option('--request-rate-range <start:end:step>', 'requests per second (open loop) instead of concurrency')
    .addOption(
      new Option('--request-distribution <kind>', 'gaps between sends in request-rate mode')
        .choices(['constant', 'poisson'])
        .default('constant'),
    )
    .option('--seed <n>', 'seed of the Poisson schedule and of random input data', wholeNumber(0), 1)
    .option(
      '--max-inflight <n>',
      'request-rate mode: skip (and count) sends beyond this many outstanding',
      wholeNumber(1),
      1000,
    )
    .option('-p, --measurement-interval <ms>', 'length of one measurement window', wholeNumber(1), 5000)
    .option('-s, --stability-percentage <pct>', 'how far the last 3 windows may differ', positiveNumber(true), 10)
    .option('-r, --max-trials <n>', 'windows per level at most', wholeNumber(1), 10)
    .option('--percentile <p>', 'use this latency percentile (1-99) for stability and report it', percentileValue)
    .option(
      '--shape <name:dims>',
      'shape of a variable-size input, without the batch dimension (repeatable)',
      collect,
      [],
    )
    .option('--input-data <kind>', 'random | zero | a perf_analyzer JSON data file', 'random')
    .option('--string-data <text>', 'value of every BYTES element (default: random strings)')
    .option('--string-length <n>', 'length of random BYTES strings', wholeNumber(1), 128)
    .option(
      '--streaming',
      'send over one gRPC stream (decoupled models): time to first response, gaps between responses',
    )
    .option('--warmup-requests <n>', 'requests sent before measuring', wholeNumber(0), 0)
    .option('--warmup-ms <ms>', 'time spent sending before measuring', wholeNumber(0), 0)
    .addOption(new Option('--format <format>', 'report on stdout').choices(['table', 'csv', 'json']).default('table'))
    .option('-f, --latency-report-file <path>', 'also write the report as CSV')
    .option('--html <path>', 'also write a self-contained HTML report with charts')
    .option('-q, --quiet', 'no progress on stderr');
  addConnectionOptions(cmd);
  cmd.action(commandAction('perf', io, setExit, (opts: PerfOptions) => runPerfCommand(opts, io, version)));
}

function percentileValue(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n >= 100) throw new InvalidArgumentError('Must be above 0 and below 100.');
  return n;
}

/** Turns options into run settings, rejecting combinations that cannot work. */
export function perfSettings(opts: PerfOptions): PerfSettings {
  if (opts.concurrencyRange !== undefined && opts.requestRateRange !== undefined) {
    throw new Error('give --concurrency-range or --request-rate-range, not both');
  }
  if (opts.streaming && opts.protocol !== 'grpc') throw new Error('--streaming needs --protocol grpc');
  const rateMode = opts.requestRateRange !== undefined;
  return {
    model: opts.model,
    ...(opts.modelVersion !== undefined ? { modelVersion: opts.modelVersion } : {}),
    protocol: opts.protocol,
    url: resolveTarget(opts.protocol, opts.url),
    streaming: opts.streaming === true,
    mode: rateMode ? 'request-rate' : 'concurrency',
    levels: rateMode
      ? parseRequestRateRange(opts.requestRateRange!)
      : parseConcurrencyRange(opts.concurrencyRange ?? '1'),
    distribution: opts.requestDistribution,
    seed: opts.seed,
    maxInflight: opts.maxInflight,
    measurementIntervalMs: opts.measurementInterval,
    stabilityPercentage: opts.stabilityPercentage,
    maxTrials: opts.maxTrials,
    ...(opts.percentile !== undefined ? { percentile: opts.percentile } : {}),
    batchSize: opts.batchSize,
    inputData: opts.inputData,
    warmupRequests: opts.warmupRequests,
    warmupMs: opts.warmupMs,
  };
}

async function runPerfCommand(opts: PerfOptions, io: CliIO, version: string): Promise<number> {
  const settings = perfSettings(opts);
  const client = connect(opts);
  try {
    const [meta, config] = await Promise.all([
      client.getModelMetadata(opts.model, opts.modelVersion),
      client.getModelConfig(opts.model, opts.modelVersion),
    ]);
    const inputSets = buildInputSets(meta, config, {
      inputData: opts.inputData,
      batchSize: opts.batchSize,
      shapes: opts.shape,
      ...(opts.stringData !== undefined ? { stringData: opts.stringData } : {}),
      stringLength: opts.stringLength,
      seed: opts.seed,
      cwd: io.cwd,
    });
    const template = {
      model: opts.model,
      ...(opts.modelVersion !== undefined ? { modelVersion: opts.modelVersion } : {}),
      inputSets,
      ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
    };
    const driver = settings.streaming
      ? streamingDriver(client as GrpcInferenceClient, template)
      : unaryDriver(client, template);
    const progress = new ProgressDisplay(
      io,
      settings.mode === 'concurrency' ? 'concurrency' : 'request rate',
      opts.quiet,
    );
    let report;
    try {
      report = await runPerf(settings, { client, driver, progress, version });
    } finally {
      progress.clear();
      await driver.close();
    }
    io.stdout.write(renderReport(report, opts.format));
    if (opts.latencyReportFile) writeFileSync(resolve(io.cwd, opts.latencyReportFile), renderCsv(report));
    if (opts.html) writeFileSync(resolve(io.cwd, opts.html), renderHtml(report));
    const failed = report.steps.reduce((n, s) => n + s.requests.failed, 0);
    if (failed > 0) {
      io.stderr.write(`tensorgate perf: ${failed} request(s) failed (see the Errors column)\n`);
      return 1;
    }
    const unstable = report.steps.filter((s) => !s.stable).length;
    if (unstable > 0 && !opts.quiet) {
      io.stderr.write(`tensorgate perf: ${unstable} ${levelTitle(report).toLowerCase()} level(s) did not stabilize\n`);
    }
    return 0;
  } finally {
    await client.close();
  }
}
