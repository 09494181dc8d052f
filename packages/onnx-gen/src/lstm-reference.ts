import { detSigmoid, detTanh } from './det-math.js';
import type { SeededRandom } from './seeded-random.js';

/**
 * Weights of one forward ONNX LSTM layer, in the operator's own layout (gate order i, o, f, c):
 * `W` is [4H, input], `R` is [4H, H], `B` is [8H] (input biases then recurrent biases), all
 * row-major float32 as they are stored in the model.
 */
export interface LstmLayer {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly W: Float32Array;
  readonly R: Float32Array;
  readonly B: Float32Array;
}

/** Initialization bounds of {@link randomLstmLayer}. */
export interface LstmInit {
  /** Input weights are uniform in [-inputBound, inputBound). */
  inputBound: number;
  /** Recurrent weights and biases are uniform in [-recurrentBound, recurrentBound). */
  recurrentBound: number;
  /** Added to the forget-gate input bias (a positive value lengthens the memory). */
  forgetBias: number;
}

/**
 * Draws an LSTM layer's weights from a seeded generator (W, then R, then B, in storage order).
 *
 * @example
 * ```ts
 * const layer = randomLstmLayer(new SeededRandom(1), 1, 64, { inputBound: 1, recurrentBound: 0.125, forgetBias: 1 });
 * ```
 */
export function randomLstmLayer(rng: SeededRandom, inputSize: number, hiddenSize: number, init: LstmInit): LstmLayer {
  const H = hiddenSize;
  const W = rng.uniformArray(4 * H * inputSize, init.inputBound);
  const R = rng.uniformArray(4 * H * H, init.recurrentBound);
  const B = rng.uniformArray(8 * H, init.recurrentBound);
  // Forget gate is the third block (i, o, f, c) of the input biases.
  for (let j = 0; j < H; j++) B[2 * H + j] = (B[2 * H + j] ?? 0) + init.forgetBias;
  return { inputSize, hiddenSize, W, R, B };
}

/**
 * Float64 forward pass of one LSTM layer over one sequence (batch 1), following the ONNX LSTM
 * definition with its default activations (sigmoid, tanh, tanh), zero initial state, no
 * peepholes. Used to fit the forecaster's head in pure, reproducible JavaScript and to check
 * the runtime's output in tests.
 *
 * @param xs - the sequence, one array of `inputSize` values per time step
 * @returns the hidden state after each step (ONNX output `Y` without the direction axis)
 */
export function lstmForward(layer: LstmLayer, xs: readonly ArrayLike<number>[]): Float64Array[] {
  const { inputSize: I, hiddenSize: H, W, R, B } = layer;
  let h = new Float64Array(H);
  const c = new Float64Array(H);
  const gates = new Float64Array(4 * H);
  const out: Float64Array[] = [];
  for (const x of xs) {
    for (let g = 0; g < 4 * H; g++) {
      let s = (B[g] ?? 0) + (B[4 * H + g] ?? 0);
      for (let k = 0; k < I; k++) s += (W[g * I + k] ?? 0) * (x[k] ?? 0);
      for (let k = 0; k < H; k++) s += (R[g * H + k] ?? 0) * (h[k] ?? 0);
      gates[g] = s;
    }
    const next = new Float64Array(H);
    for (let j = 0; j < H; j++) {
      const i = detSigmoid(gates[j] ?? 0);
      const o = detSigmoid(gates[H + j] ?? 0);
      const f = detSigmoid(gates[2 * H + j] ?? 0);
      const cand = detTanh(gates[3 * H + j] ?? 0);
      const cj = f * (c[j] ?? 0) + i * cand;
      c[j] = cj;
      next[j] = o * detTanh(cj);
    }
    h = next;
    out.push(next);
  }
  return out;
}
