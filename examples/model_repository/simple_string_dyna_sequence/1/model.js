// "simple_string_dyna_sequence", as Triton's dyna_sequence test backend behaves with a STRING
// CORRID: one INT32 accumulator per sequence, kept by the instance (the sequence batcher sends all
// requests of a sequence to the same instance):
//   READY=0: an empty slot; nothing changes (never happens under `oldest`, which fills no slots).
//   START=1: the accumulator becomes the sum of INPUT.
//   START=0: the sum of INPUT is added.
//   END=1:   the correlation id, read as an integer, is added too, and the sequence is forgotten.
// OUTPUT holds the accumulator in every element.

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export default class SimpleStringDynaSequence {
  initialize(args) {
    this.delayMs = Number(args.model_config.parameters?.execute_delay_ms?.string_value ?? 0);
    /** Accumulator by correlation id. */
    this.accumulators = new Map();
  }

  async execute(requests) {
    if (this.delayMs > 0) await sleep(this.delayMs);
    return requests.map((request) => this.step(request));
  }

  step(request) {
    const input = request.input('INPUT').data;
    const out = new Int32Array(input.length);
    if (request.input('READY').data[0] === 0) return { outputs: [{ name: 'OUTPUT', data: out }] };
    const corrid = request.input('CORRID').strings()[0];
    const start = request.input('START').data[0] === 1;
    const end = request.input('END').data[0] === 1;
    let sum = 0;
    for (const v of input) sum = (sum + v) | 0;
    let acc = start ? sum : ((this.accumulators.get(corrid) ?? 0) + sum) | 0;
    if (end) {
      const id = Number.parseInt(corrid, 10);
      if (Number.isNaN(id)) {
        this.accumulators.delete(corrid);
        return {
          error: 'dyna sequence backend expects correlation ID to be decodable into an integer',
          code: 'INVALID_ARG',
        };
      }
      acc = (acc + id) | 0;
      this.accumulators.delete(corrid);
    } else {
      this.accumulators.set(corrid, acc);
    }
    out.fill(acc);
    return { outputs: [{ name: 'OUTPUT', data: out }] };
  }
}
