// "simple_sequence", as Triton's ONNX example computes it: OUTPUT = (INPUT + START) * READY.
// Each request of the batch is one sequence slot; the sequence batcher sets START (1 on the first
// request of a sequence) and READY (0 for an empty slot, whose answer nobody reads).

export default class SimpleSequence {
  execute(requests) {
    return requests.map((request) => {
      const input = request.input('INPUT').data;
      const start = request.input('START').data[0];
      const ready = request.input('READY').data[0];
      const out = new Int32Array(input.length);
      for (let i = 0; i < input.length; i++) out[i] = (input[i] + start) * ready;
      return { outputs: [{ name: 'OUTPUT', data: out }] };
    });
  }
}
