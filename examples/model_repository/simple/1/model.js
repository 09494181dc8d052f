// "simple": element-wise sum and difference of two INT32 tensors of shape [batch, 16].
// Int32Array arithmetic wraps on overflow, like the int32 math of Triton's original model.

export default class SimpleModel {
  execute(requests) {
    return requests.map((request) => {
      const a = request.input('INPUT0').data;
      const b = request.input('INPUT1').data;
      const sum = new Int32Array(a.length);
      const difference = new Int32Array(a.length);
      for (let i = 0; i < a.length; i++) {
        sum[i] = a[i] + b[i];
        difference[i] = a[i] - b[i];
      }
      // No shape or datatype: both come from the config ([batch, 16], INT32).
      return {
        outputs: [
          { name: 'OUTPUT0', data: sum },
          { name: 'OUTPUT1', data: difference },
        ],
      };
    });
  }
}
