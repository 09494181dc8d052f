// "bls_simple": calls the "simple" model from inside execute (Business Logic Scripting) and
// multiplies its two outputs: (a + b) * (a - b) = a^2 - b^2, element by element (int32, wrapping).
// The call goes through the server's core (simple's scheduler and statistics), never the network;
// each call is cancelled if its request is. The README shows this file from `export` on.

export default class BlsSimple {
  async execute(requests) {
    return Promise.all(
      requests.map(async (request) => {
        const response = await request.models.infer({
          model: 'simple',
          inputs: [request.input('INPUT0'), request.input('INPUT1')], // the request's own tensors
          outputs: ['OUTPUT0', 'OUTPUT1'],
        });
        if (response.error) return response.error; // e.g. NOT_FOUND, INVALID_ARG, DEADLINE_EXCEEDED
        const sum = response.output('OUTPUT0').data; // Int32Array
        const difference = response.output('OUTPUT1').data;
        return { outputs: [{ name: 'OUTPUT0', data: sum.map((s, i) => Math.imul(s, difference[i])) }] };
      }),
    );
  }
}
