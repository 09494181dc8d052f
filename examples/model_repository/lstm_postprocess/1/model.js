// "lstm_postprocess": the last step of ensemble_lstm. Undoes lstm_preprocess' scaling
// (value = FORECAST * SCALE + LOC) and gives each forecast value its horizon h (1..H steps after the
// series' last value) and its time, START + (LENGTH - 1 + h) * INTERVAL, in the unit START and
// INTERVAL use (both optional: 0 and 1 give the value's position in the series).

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

export default class LstmPostprocess {
  initialize(args) {
    const forecast = args.model_config.output.find((o) => o.name === 'FORECAST');
    this.horizon = forecast?.dims[0];
    if (!(this.horizon > 0)) throw new Error("lstm_postprocess: needs an output 'FORECAST' with dims [ h ]");
  }

  execute(requests) {
    return requests.map((request) => this.postprocess(request));
  }

  postprocess(request) {
    const h = this.horizon;
    const rows = request.batchSize;
    const y = request.input('FORECAST').data;
    const loc = request.input('LOC').data;
    const scale = request.input('SCALE').data;
    const length = request.input('LENGTH').data;
    const start = request.findInput('START')?.data;
    const interval = request.findInput('INTERVAL')?.data;
    const values = new Float32Array(rows * h);
    const horizons = new Int32Array(rows * h);
    const times = new BigInt64Array(rows * h);
    for (let r = 0; r < rows; r++) {
      const t0 = start ? start[r] : 0n;
      const step = interval ? interval[r] : 1n;
      for (let k = 0; k < h; k++) {
        const i = r * h + k;
        values[i] = y[i] * scale[r] + loc[r];
        horizons[i] = k + 1;
        const t = t0 + (length[r] + BigInt(k)) * step;
        if (t < INT64_MIN || t > INT64_MAX) {
          return {
            error: `TIMESTAMP ${t} of horizon ${k + 1} does not fit in INT64 (START ${t0}, INTERVAL ${step})`,
            code: 'INVALID_ARG',
          };
        }
        times[i] = t;
      }
    }
    return {
      outputs: [
        { name: 'FORECAST', data: values },
        { name: 'HORIZON', data: horizons },
        { name: 'TIMESTAMP', data: times },
      ],
    };
  }
}
