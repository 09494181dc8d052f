// "bls_simple": calls the "simple" model from inside execute (Business Logic Scripting) and
// multiplies its two outputs: (a + b) * (a - b) = a^2 - b^2, element by element.
// The call goes through the server's core (simple's scheduler and statistics), never the network.

export default class BlsSimple {
  async execute(requests) {
    // One call per request, all in flight at once; each is cancelled if its request is.
    return Promise.all(
      requests.map(async (request) => {
        const response = await request.models.infer({
          model: 'simple',
          // The request's own input tensors, passed through as they are.
          inputs: [request.input('INPUT0'), request.input('INPUT1')],
          outputs: ['OUTPUT0', 'OUTPUT1'],
        });
        // A failed call is a value, not an exception: answer with its error (and its code).
        if (response.error) return response.error;
        const sum = response.output('OUTPUT0').data;
        const difference = response.output('OUTPUT1').data;
        const product = new Int32Array(sum.length);
        for (let i = 0; i < sum.length; i++) product[i] = Math.imul(sum[i], difference[i]);
        return { outputs: [{ name: 'OUTPUT0', data: product }] };
      }),
    );
  }
}
