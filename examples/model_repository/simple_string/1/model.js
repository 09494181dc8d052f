// "simple_string": like "simple", but every element is a decimal integer written as a string
// (BYTES / TYPE_STRING tensors); the outputs are decimal strings too.

function parseInt32(text, name, index) {
  const trimmed = text.trim();
  if (!/^[+-]?\d+$/.test(trimmed)) {
    throw new RangeError(`${name} element ${index} is not a decimal integer: '${text}'`);
  }
  return Number(trimmed) | 0;
}

export default class SimpleStringModel {
  execute(requests) {
    return requests.map((request) => {
      try {
        const a = request
          .input('INPUT0')
          .strings()
          .map((s, i) => parseInt32(s, 'INPUT0', i));
        const b = request
          .input('INPUT1')
          .strings()
          .map((s, i) => parseInt32(s, 'INPUT1', i));
        return {
          outputs: [
            { name: 'OUTPUT0', data: a.map((x, i) => String((x + b[i]) | 0)) },
            { name: 'OUTPUT1', data: a.map((x, i) => String((x - b[i]) | 0)) },
          ],
        };
      } catch (err) {
        // Bad client data fails only this request, with INVALID_ARG (HTTP 400).
        return { error: err.message, code: 'INVALID_ARG' };
      }
    });
  }
}
