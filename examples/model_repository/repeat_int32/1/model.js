// "repeat_int32": a decoupled model, the JS twin of Triton's repeat backend. Each request gets one
// response per element of IN, each after its DELAY, then a bare final flag. Responses are sent in
// the background: execute() returns after WAIT ms, whether or not they are all out.
import { setTimeout as sleep } from 'node:timers/promises';

export default class RepeatModel {
  async execute(requests) {
    let wait = 0;
    for (const request of requests) {
      const sender = request.getResponseSender();
      const values = request.input('IN').data;
      const delays = request.input('DELAY').data;
      wait = Math.max(wait, request.input('WAIT').data[0] ?? 0);
      if (delays.length !== values.length) {
        sender.send(
          {
            error: `DELAY must have as many elements as IN (${values.length}), got ${delays.length}`,
            code: 'INVALID_ARG',
          },
          { final: true },
        );
        continue;
      }
      void this.respond(request, sender, values, delays);
    }
    await sleep(wait);
  }

  async respond(request, sender, values, delays) {
    try {
      for (let i = 0; i < values.length && !request.isCancelled(); i++) {
        await sleep(delays[i]);
        sender.send({
          outputs: [
            { name: 'OUT', data: new Int32Array([values[i]]) },
            { name: 'IDX', data: new Uint32Array([i]) },
          ],
        });
      }
      sender.send(undefined, { final: true });
    } catch (err) {
      // Never let a background task throw: an unhandled rejection would crash the instance.
      sender.send({ error: err.message }, { final: true });
    }
  }
}
