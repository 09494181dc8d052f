#!/usr/bin/env node
// Why lstm_preprocess normalizes as it does (ensemble_lstm, issue #13): forecast error of the
// lstm_timeseries forecaster on seasonal series of any level and scale, for several ways of
// bringing the last 10 values to the scale the model was fitted on. No server: the float64
// reference of the ONNX model (packages/onnx-gen's createLstmForecaster) on windows drawn like its
// training windows (seasonalWindow), each moved to a random level (±1000) and scale (0.1 to 1000).
// The error is in units of each series' own scale; "repeat the last value" is the naive baseline.
import { createLstmForecaster, seasonalWindow } from '../packages/onnx-gen/dist/lstm-timeseries.js';
import { SeededRandom } from '../packages/onnx-gen/dist/seeded-random.js';
import { main, parseCli, printCommand } from './lib/cli.mjs';
import { markdownTable, num } from './lib/stats.mjs';

const opts = parseCli(
  import.meta.url,
  'Forecast error of ensemble_lstm-style normalizations (in process, no server).',
  {
    series: { default: 1000, help: 'random series' },
    seed: { default: 7, help: 'seed of the series' },
  },
);

const mean = (w) => w.reduce((a, b) => a + b, 0) / w.length;
const std = (w, m) => Math.sqrt(w.reduce((a, b) => a + (b - m) ** 2, 0) / w.length);
const zscore = (target) => (w) => {
  const m = mean(w);
  return { loc: m, scale: std(w, m) / target };
};
const METHODS = {
  'none (raw values)': () => ({ loc: 0, scale: 1 }),
  'window mean, std → 1': zscore(1),
  'window mean, std → 0.6': zscore(0.6),
  'window mean, std → 0.5 (lstm_preprocess: normalized_std 0.5)': zscore(0.5),
  'window mean, std → 0.4': zscore(0.4),
  'window min/max → [-1, 1]': (w) => ({
    loc: (Math.min(...w) + Math.max(...w)) / 2,
    scale: (Math.max(...w) - Math.min(...w)) / 2,
  }),
};

main(async () => {
  printCommand();
  const forecaster = createLstmForecaster();
  const rng = new SeededRandom(opts.seed);
  const sq = Object.fromEntries(Object.keys(METHODS).map((k) => [k, 0]));
  let naive = 0;
  for (let s = 0; s < opts.series; s++) {
    const w = Array.from(seasonalWindow(rng));
    const level = (rng.next() - 0.5) * 2000;
    const scale = 10 ** (rng.next() * 4 - 1);
    const x = w.map((v) => level + scale * v);
    const past = x.slice(0, 10);
    const truth = x.slice(10);
    for (const [k, method] of Object.entries(METHODS)) {
      const n = method(past);
      const y = forecaster.forecast(past.map((v) => (n.scale > 0 ? (v - n.loc) / n.scale : 0)));
      for (let h = 0; h < 5; h++) sq[k] += ((y[h] * n.scale + n.loc - truth[h]) / scale) ** 2;
    }
    for (let h = 0; h < 5; h++) naive += ((past[9] - truth[h]) / scale) ** 2;
  }
  const rmse = (v) => Math.sqrt(v / (opts.series * 5));
  console.log(`\n${opts.series} series, 5 steps each; RMSE in units of each series' scale:\n`);
  console.log(
    markdownTable(
      ['normalization of the last 10 values', 'forecast RMSE'],
      [...Object.entries(sq).map(([k, v]) => [k, num(rmse(v), 4)]), ['(repeat the last value)', num(rmse(naive), 4)]],
    ),
  );
});
