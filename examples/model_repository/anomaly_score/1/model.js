// "anomaly_score": streaming z-score and moving average over an unbounded series. The window is
// implicit state (sequence_batching.state in config.pbtxt): the server feeds it in as WINDOW_IN
// and keeps WINDOW_OUT for the sequence's next request, so this model holds nothing between
// requests and any instance can serve any series.
//
// Window layout (FP64): [count, head, v0 .. v(W-1)], a ring buffer of the last W points; count is
// how many points the series has had, head where the next one goes. W is the state length - 2.

const HEADER = 2;

export default class AnomalyScoreModel {
  initialize(args) {
    args.logger.info(`anomaly_score ready on ${args.model_instance_name}`);
  }

  execute(requests) {
    return requests.map((request) => {
      const values = request.input('VALUE').data;
      const state = request.input('WINDOW_IN');
      if (request.batchSize !== 1) {
        return { error: `one series per request (batch size 1), got ${request.batchSize}`, code: 'INVALID_ARG' };
      }
      for (const v of values) {
        if (!Number.isFinite(v)) return { error: `VALUE must be finite numbers, got ${v}`, code: 'INVALID_ARG' };
      }
      const window = Float64Array.from(state.data);
      const size = window.length - HEADER;
      const scores = new Float32Array(values.length);
      const means = new Float32Array(values.length);
      for (let i = 0; i < values.length; i++) {
        const x = values[i];
        const before = stats(window, size);
        scores[i] = before.n >= 2 && before.std > 1e-9 ? (x - before.mean) / before.std : 0;
        const head = window[1];
        window[HEADER + head] = x;
        window[1] = (head + 1) % size;
        window[0] += 1;
        means[i] = stats(window, size).mean;
      }
      const n = values.length;
      return {
        outputs: [
          { name: 'SCORE', shape: [1, n], data: scores },
          { name: 'MEAN', shape: [1, n], data: means },
          { name: 'WINDOW_OUT', shape: state.shape, data: window },
        ],
      };
    });
  }
}

/** Mean and population standard deviation of the points in the window. */
function stats(window, size) {
  const n = Math.min(window[0], size);
  if (n === 0) return { n, mean: 0, std: 0 };
  let sum = 0;
  for (let k = 0; k < n; k++) sum += window[HEADER + k];
  const mean = sum / n;
  let squares = 0;
  for (let k = 0; k < n; k++) squares += (window[HEADER + k] - mean) ** 2;
  return { n, mean, std: Math.sqrt(squares / n) };
}
