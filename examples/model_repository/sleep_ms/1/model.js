// "sleep_ms": waits INPUT0 milliseconds, then echoes it. The wait listens to the request's
// signal, so a cancelled or disconnected request frees the instance immediately.
import { setTimeout as sleep } from 'node:timers/promises';

export default class SleepModel {
  async execute(requests) {
    return Promise.all(
      requests.map(async (request) => {
        const input = request.input('INPUT0');
        try {
          await sleep(input.data[0] ?? 0, undefined, { signal: request.signal });
        } catch {
          return { error: 'request cancelled while sleeping', code: 'CANCELLED' };
        }
        return { outputs: [{ name: 'OUTPUT0', data: input.data }] };
      }),
    );
  }
}
