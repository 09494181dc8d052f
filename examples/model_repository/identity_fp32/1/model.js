// "identity_fp32": OUTPUT0 is INPUT0. The input array is handed back as is: its buffer was
// transferred to this worker and is transferred back, so even a large tensor is never copied here
// and every bit (NaN payloads included) survives.

export default class IdentityFp32Model {
  execute(requests) {
    return requests.map((request) => {
      const input = request.input('INPUT0');
      return { outputs: [{ name: 'OUTPUT0', shape: input.shape, data: input.data }] };
    });
  }
}
