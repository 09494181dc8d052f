// "moving_average": simple moving average of an FP32 series over WINDOW points, computed with a
// running sum in double precision.

export default class MovingAverageModel {
  initialize(args) {
    args.logger.info(`moving_average ready on ${args.model_instance_name}`);
  }

  execute(requests) {
    return requests.map((request) => {
      const series = request.input('INPUT').data;
      const window = request.input('WINDOW').data[0];
      const n = series.length;
      if (!Number.isInteger(window) || window < 1 || window > n) {
        return { error: `WINDOW must be between 1 and the length of INPUT (${n}), got ${window}`, code: 'INVALID_ARG' };
      }
      const averages = new Float32Array(n - window + 1);
      let sum = 0;
      for (let i = 0; i < n; i++) {
        sum += series[i];
        if (i >= window) sum -= series[i - window];
        if (i >= window - 1) averages[i - window + 1] = sum / window;
      }
      return { outputs: [{ name: 'OUTPUT', data: averages }] };
    });
  }
}
