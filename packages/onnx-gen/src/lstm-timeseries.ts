import { detSin } from './det-math.js';
import { GraphBuilder } from './graph-builder.js';
import { lstmForward, randomLstmLayer, type LstmLayer } from './lstm-reference.js';
import { fitRidge, type LinearFit } from './ridge-regression.js';
import { SeededRandom } from './seeded-random.js';

/** Past values the forecaster reads (`INPUT` is [batch, PAST_STEPS, 1]). */
export const PAST_STEPS = 10;
/** Future values it predicts (`OUTPUT` is [batch, HORIZON]). */
export const HORIZON = 5;
/** LSTM hidden size of both layers. */
export const HIDDEN_SIZE = 64;
/** Seed of the LSTM weights and of the training series noise. */
export const LSTM_SEED = 20240611;

const TRAIN_WINDOWS = 400;
const HELD_OUT_WINDOWS = 100;
const RIDGE_LAMBDA = 1e-5;
const NOISE = 0.03;

/** Season length (in steps) of the training series, e.g. monthly data with a yearly cycle. */
export const SEASON_LENGTH = 12;

/**
 * One training window of PAST_STEPS + HORIZON values from a synthetic seasonal series: a
 * period-12 wave with random amplitude, phase and level, a random second harmonic and a little
 * noise, all drawn from `rng`, roughly within [-1.3, 1.3] (the scale the model expects).
 *
 * @example seasonalWindow(new SeededRandom(1)) // 15 values of one random seasonal curve
 */
export function seasonalWindow(rng: SeededRandom): Float64Array {
  const amplitude = 0.3 + 0.6 * rng.next();
  const harmonic = 0.3 * rng.next();
  const phase = 7 * rng.next();
  const phase2 = 7 * rng.next();
  const level = rng.uniform(0.3);
  const out = new Float64Array(PAST_STEPS + HORIZON);
  for (let t = 0; t < out.length; t++) {
    const angle = (2 * Math.PI * t) / SEASON_LENGTH;
    out[t] = amplitude * detSin(angle + phase) + harmonic * detSin(2 * angle + phase2) + level + rng.uniform(NOISE);
  }
  return out;
}

/** The forecaster's parameters plus how well the fitted head did on held-out windows. */
export interface LstmForecaster {
  readonly layer1: LstmLayer;
  readonly layer2: LstmLayer;
  /** Output head, [HORIZON, HIDDEN_SIZE] weights and [HORIZON] bias, as stored (float32). */
  readonly head: { readonly weights: Float32Array; readonly bias: Float32Array };
  /** Root-mean-square forecast errors on held-out seasonal windows: the model's and "repeat the last value"'s. */
  readonly heldOut: { readonly modelRmse: number; readonly repeatLastRmse: number };
  /** Float64 reference forecast of one window of PAST_STEPS values (what the ONNX model computes). */
  forecast(past: ArrayLike<number>): Float64Array;
}

function lastHidden(layer1: LstmLayer, layer2: LstmLayer, past: ArrayLike<number>): Float64Array {
  const xs = Array.from({ length: past.length }, (_, t) => [past[t] ?? 0]);
  const h1 = lstmForward(layer1, xs);
  const h2 = lstmForward(layer2, h1);
  return h2[h2.length - 1] ?? new Float64Array(layer2.hiddenSize);
}

function applyHead(head: LinearFit | LstmForecaster['head'], h: ArrayLike<number>): Float64Array {
  const y = new Float64Array(HORIZON);
  for (let o = 0; o < HORIZON; o++) {
    let s = head.bias[o] ?? 0;
    for (let k = 0; k < HIDDEN_SIZE; k++) s += (head.weights[o * HIDDEN_SIZE + k] ?? 0) * (h[k] ?? 0);
    y[o] = s;
  }
  return y;
}

/**
 * Builds the forecaster: two seeded LSTM layers (a fixed random "reservoir") and a linear head
 * fitted by ridge regression on windows of {@link seasonalWindow}, all in float64 JavaScript so the result
 * is identical on every machine.
 */
export function createLstmForecaster(): LstmForecaster {
  const rng = new SeededRandom(LSTM_SEED);
  const layer1 = randomLstmLayer(rng, 1, HIDDEN_SIZE, { inputBound: 1, recurrentBound: 0.125, forgetBias: 1 });
  const layer2 = randomLstmLayer(rng, HIDDEN_SIZE, HIDDEN_SIZE, {
    inputBound: 0.25,
    recurrentBound: 0.125,
    forgetBias: 1,
  });
  const windows = TRAIN_WINDOWS + HELD_OUT_WINDOWS;
  const features: Float64Array[] = [];
  const targets: Float64Array[] = [];
  const lastSeen: number[] = [];
  for (let s = 0; s < windows; s++) {
    const w = seasonalWindow(rng);
    features.push(lastHidden(layer1, layer2, w.subarray(0, PAST_STEPS)));
    targets.push(w.slice(PAST_STEPS));
    lastSeen.push(w[PAST_STEPS - 1] ?? 0);
  }
  const fit = fitRidge(features.slice(0, TRAIN_WINDOWS), targets.slice(0, TRAIN_WINDOWS), RIDGE_LAMBDA);
  const head = { weights: Float32Array.from(fit.weights), bias: Float32Array.from(fit.bias) };
  let modelSq = 0;
  let naiveSq = 0;
  for (let s = TRAIN_WINDOWS; s < windows; s++) {
    const y = applyHead(head, features[s] ?? []);
    const last = lastSeen[s] ?? 0;
    for (let o = 0; o < HORIZON; o++) {
      const truth = targets[s]?.[o] ?? 0;
      modelSq += ((y[o] ?? 0) - truth) ** 2;
      naiveSq += (last - truth) ** 2;
    }
  }
  const count = HELD_OUT_WINDOWS * HORIZON;
  return {
    layer1,
    layer2,
    head,
    heldOut: { modelRmse: Math.sqrt(modelSq / count), repeatLastRmse: Math.sqrt(naiveSq / count) },
    forecast: (past) => applyHead(head, lastHidden(layer1, layer2, past)),
  };
}

/**
 * Serializes the forecaster as ONNX: `INPUT` FP32 [batch, 10, 1] → Transpose to the LSTM's
 * time-major layout → LSTM(64) → LSTM(64) → last hidden state → Gemm → `OUTPUT` FP32 [batch, 5].
 * (Transpose rather than the LSTM `layout` attribute, which onnxruntime's CPU kernel rejects.)
 */
export function lstmTimeseriesOnnx(forecaster: LstmForecaster = createLstmForecaster()): Uint8Array {
  const { layer1, layer2, head } = forecaster;
  const H = HIDDEN_SIZE;
  const lstm = { hidden_size: H };
  return new GraphBuilder('lstm_timeseries', {
    docString:
      `Two-layer LSTM forecaster (hidden ${H}): reads ${PAST_STEPS} past values, predicts ${HORIZON}. ` +
      `Seeded LSTM weights (mulberry32, seed ${LSTM_SEED}), output head fitted by ridge regression ` +
      'on synthetic period-12 seasonal series. Written by @tensorgate/onnx-gen.',
  })
    .input({ name: 'INPUT', type: 'float32', shape: ['batch', PAST_STEPS, 1] })
    .output({ name: 'OUTPUT', type: 'float32', shape: ['batch', HORIZON] })
    .initializer('lstm1.W', 'float32', [1, 4 * H, 1], layer1.W)
    .initializer('lstm1.R', 'float32', [1, 4 * H, H], layer1.R)
    .initializer('lstm1.B', 'float32', [1, 8 * H], layer1.B)
    .initializer('lstm2.W', 'float32', [1, 4 * H, H], layer2.W)
    .initializer('lstm2.R', 'float32', [1, 4 * H, H], layer2.R)
    .initializer('lstm2.B', 'float32', [1, 8 * H], layer2.B)
    .initializer('head.W', 'float32', [HORIZON, H], head.weights)
    .initializer('head.b', 'float32', [HORIZON], head.bias)
    .initializer('axes.dir', 'int64', [1], [1])
    .initializer('axes.first', 'int64', [1], [0])
    .node('Transpose', ['INPUT'], ['x_time_major'], { perm: [1, 0, 2] }, 'to_time_major')
    .node('LSTM', ['x_time_major', 'lstm1.W', 'lstm1.R', 'lstm1.B'], ['lstm1.Y'], lstm, 'lstm1')
    .node('Squeeze', ['lstm1.Y', 'axes.dir'], ['lstm1.seq'], {}, 'drop_direction')
    .node('LSTM', ['lstm1.seq', 'lstm2.W', 'lstm2.R', 'lstm2.B'], ['', 'lstm2.Y_h'], lstm, 'lstm2')
    .node('Squeeze', ['lstm2.Y_h', 'axes.first'], ['last_hidden'], {}, 'last_hidden')
    .node('Gemm', ['last_hidden', 'head.W', 'head.b'], ['OUTPUT'], { transB: 1 }, 'head')
    .toBytes();
}
