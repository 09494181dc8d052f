// "simple_dyna_sequence", as Triton's ONNX example computes it:
// OUTPUT = (INPUT + START + END * CORRID) * READY, CORRID being the sequence's UINT64 id.
// `execute_delay_ms` (config parameters) delays each execution, as in Triton's example, so that
// requests of concurrent sequences have time to be batched together.

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export default class SimpleDynaSequence {
  initialize(args) {
    this.delayMs = Number(args.model_config.parameters?.execute_delay_ms?.string_value ?? 0);
  }

  async execute(requests) {
    if (this.delayMs > 0) await sleep(this.delayMs);
    return requests.map((request) => {
      const input = request.input('INPUT').data;
      const start = request.input('START').data[0];
      const end = request.input('END').data[0];
      const ready = request.input('READY').data[0];
      const corrid = Number(request.input('CORRID').data[0]);
      const out = new Int32Array(input.length);
      for (let i = 0; i < input.length; i++) out[i] = (input[i] + start + end * corrid) * ready;
      return { outputs: [{ name: 'OUTPUT', data: out }] };
    });
  }
}
