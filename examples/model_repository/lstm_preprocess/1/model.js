// "lstm_preprocess": the first step of ensemble_lstm. Takes a raw series of any length and gives
// lstm_timeseries its input: the last WINDOW values (10, from the WINDOW output's dims), centred on
// their mean and divided by SCALE = std / normalized_std, so that the window has the standard
// deviation of the series the forecaster was fitted on (about 0.5: see packages/onnx-gen's README).
// LOC, SCALE and LENGTH travel to lstm_postprocess, which undoes the scaling and numbers the forecast.
// A constant window has SCALE 0: its normalized values are 0 and the forecast is the constant.

function fail(message) {
  throw new Error(`lstm_preprocess: ${message}`);
}

export default class LstmPreprocess {
  initialize(args) {
    const config = args.model_config;
    const window = config.output.find((o) => o.name === 'WINDOW');
    if (!window || window.dims.length !== 2 || !(window.dims[0] > 0) || window.dims[1] !== 1) {
      fail("needs an output 'WINDOW' with dims [ n, 1 ]");
    }
    this.window = window.dims[0];
    for (const key of Object.keys(config.parameters ?? {})) {
      if (!['normalized_std', 'execution_timeout_ms', 'memory_limit_mb'].includes(key)) {
        fail(`unknown parameter '${key}' (known: normalized_std, execution_timeout_ms, memory_limit_mb)`);
      }
    }
    const std = config.parameters?.normalized_std?.string_value ?? '0.5';
    this.normalizedStd = Number(std);
    if (!(this.normalizedStd > 0 && Number.isFinite(this.normalizedStd))) {
      fail(`parameter 'normalized_std' must be a positive number, got '${std}'`);
    }
  }

  execute(requests) {
    return requests.map((request) => this.preprocess(request));
  }

  preprocess(request) {
    const input = request.input('SERIES');
    const rows = request.batchSize;
    const n = input.shape[input.shape.length - 1];
    const w = this.window;
    if (n < w) {
      return { error: `SERIES has ${n} values; the forecast needs at least the last ${w}`, code: 'INVALID_ARG' };
    }
    const series = input.data;
    const windows = new Float32Array(rows * w);
    const loc = new Float64Array(rows);
    const scale = new Float64Array(rows);
    for (let r = 0; r < rows; r++) {
      const start = r * n + n - w;
      let sum = 0;
      for (let i = 0; i < w; i++) {
        const x = series[start + i];
        if (!Number.isFinite(x)) {
          const where = rows > 1 ? `row ${r}, ` : '';
          return { error: `SERIES ${where}value ${n - w + i} is ${x}; values must be finite`, code: 'INVALID_ARG' };
        }
        sum += x;
      }
      const mean = sum / w;
      let squares = 0;
      for (let i = 0; i < w; i++) squares += (series[start + i] - mean) ** 2;
      const s = Math.sqrt(squares / w) / this.normalizedStd;
      loc[r] = mean;
      scale[r] = s;
      for (let i = 0; i < w; i++) windows[r * w + i] = s > 0 ? (series[start + i] - mean) / s : 0;
    }
    return {
      outputs: [
        { name: 'WINDOW', data: windows },
        { name: 'LOC', data: loc },
        { name: 'SCALE', data: scale },
        { name: 'LENGTH', data: new BigInt64Array(rows).fill(BigInt(n)) },
      ],
    };
  }
}
