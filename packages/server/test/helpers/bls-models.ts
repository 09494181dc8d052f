/**
 * A temporary repository for the BLS wire tests: `bls_probe`, a JS model that makes the calls a
 * JSON plan (its PLAN input) describes and answers what came back (RESULT, JSON), and the models
 * it calls: `simple` and `bls_simple` (JS, from the examples), `bls_relay` (decoupled, streams
 * what it gets from `countdown`), `add_sub` (ONNX), `versioned` (two versions),
 * `echo_params`, `countdown` (decoupled), `wait_cancel` (sleeps or waits to be cancelled, and
 * leaves a marker file when it is), `batched` (dynamic batching).
 */
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addSubOnnx } from './onnx-models.js';
import { EXAMPLES } from './servers.js';

/** The caller's `execution_timeout_ms`: also the default timeout of its calls. */
export const PROBE_TIMEOUT_MS = 2000;

const PROBE_CONFIG = `
name: "bls_probe"
backend: "js"
max_batch_size: 0
input [
  { name: "PLAN" data_type: TYPE_STRING dims: [ 1 ] },
  { name: "INPUT0" data_type: TYPE_INT32 dims: [ 1, 16 ] optional: true },
  { name: "INPUT1" data_type: TYPE_INT32 dims: [ 1, 16 ] optional: true }
]
output [ { name: "RESULT" data_type: TYPE_STRING dims: [ 1 ] } ]
instance_group [ { count: 1 kind: KIND_CPU } ]
parameters { key: "execution_timeout_ms" value: { string_value: "${PROBE_TIMEOUT_MS}" } }
`;

const PROBE_MODEL = `
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

// Makes the calls its PLAN asks for and answers what came back.
function describe(r) {
  return {
    model: r.model,
    version: r.version,
    id: r.id,
    final: r.final,
    error: r.error ? { code: r.error.code, message: r.error.message, name: r.error.name } : null,
    parameters: r.parameters,
    outputs: Object.fromEntries(
      r.outputs.map((t) => [t.name, { datatype: t.datatype, shape: t.shape, data: t.toArray() }]),
    ),
  };
}

export default class BlsProbe {
  initialize(args) {
    this.models = args.models;
    this.dir = args.model_repository;
  }

  options(request, plan) {
    const inputs = (plan.inputs ?? []).map((i) => (i.from ? { ...request.input(i.from), name: i.as ?? i.from } : i));
    return { ...plan.call, inputs };
  }

  async run(request, plan) {
    if (plan.delayMs) await sleep(plan.delayMs);
    const caller = plan.unbound ? this.models : request.models;
    const options = this.options(request, plan);
    switch (plan.mode) {
      case 'stream': {
        const responses = [];
        for await (const r of caller.stream(options)) responses.push(describe(r));
        return { responses };
      }
      case 'parallel': {
        const all = await Promise.all(Array.from({ length: plan.n }, () => caller.infer(options)));
        return { responses: all.map(describe) };
      }
      case 'return-error': {
        const r = await caller.infer(options);
        return r.error ?? new Error('the call did not fail');
      }
      case 'spin': {
        // Blocks this thread while a call is in flight (once wait_cancel has it): the watchdog
        // must still stop it.
        void caller.infer(options);
        const started = join(this.dir, '..', 'wait_cancel', 'started-' + options.id);
        while (!existsSync(started)) await sleep(10);
        for (;;);
      }
      default:
        return { responses: [describe(await caller.infer(options))] };
    }
  }

  async execute(requests) {
    const out = [];
    for (const request of requests) {
      const plan = JSON.parse(request.input('PLAN').strings()[0]);
      const result = await this.run(request, plan);
      out.push(result instanceof Error ? result : { outputs: [{ name: 'RESULT', data: [JSON.stringify(result)] }] });
    }
    return out;
  }
}
`;

const ADD_SUB_CONFIG = `
name: "add_sub"
backend: "onnxruntime"
max_batch_size: 8
input [ { name: "A" data_type: TYPE_FP32 dims: [ 4 ] }, { name: "B" data_type: TYPE_FP32 dims: [ 4 ] } ]
output [ { name: "SUM" data_type: TYPE_FP32 dims: [ 4 ] }, { name: "DIFF" data_type: TYPE_FP32 dims: [ 4 ] } ]
`;

/** A JS model with one INT32 [1] input X (no batching) and the given outputs and body. */
function jsModel(name: string, outputs: string, body: string, extra = ''): { config: string; model: string } {
  return {
    config: `name: "${name}"
backend: "js"
max_batch_size: 0
input [ { name: "X" data_type: TYPE_INT32 dims: [ 1 ] } ]
output [ ${outputs} ]
${extra}`,
    model: body,
  };
}

const VERSIONED = jsModel(
  'versioned',
  '{ name: "V" data_type: TYPE_INT32 dims: [ 1 ] }',
  `export default class {
  initialize(args) { this.version = Number(args.model_version); }
  execute(requests) { return requests.map(() => ({ outputs: [{ name: 'V', data: [this.version] }] })); }
}`,
  'version_policy { all {} }',
);

const ECHO_PARAMS = jsModel(
  'echo_params',
  '{ name: "P" data_type: TYPE_STRING dims: [ 1 ] }, { name: "ID" data_type: TYPE_STRING dims: [ 1 ] }',
  `export default class {
  execute(requests) {
    return requests.map((r) => ({
      outputs: [
        { name: 'P', data: [JSON.stringify(r.parameters)] },
        { name: 'ID', data: [r.id] },
      ],
      parameters: { echoed: true, count: Object.keys(r.parameters).length },
    }));
  }
}`,
);

const COUNTDOWN = jsModel(
  'countdown',
  '{ name: "OUT" data_type: TYPE_INT32 dims: [ 1 ] }',
  `export default class {
  execute(requests) {
    for (const r of requests) {
      const sender = r.getResponseSender();
      const failAt = r.parameters.fail_at;
      for (let i = r.input('X').data[0]; i > 0; i--) {
        sender.send(i === failAt ? { error: 'step ' + i + ' failed' } : { outputs: [{ name: 'OUT', data: [i] }] });
      }
      sender.send(undefined, { final: true });
    }
  }
}`,
  'model_transaction_policy { decoupled: true }',
);

// Decoupled and a caller: streams countdown's responses (times 10) to its own client.
const RELAY = jsModel(
  'bls_relay',
  '{ name: "OUT" data_type: TYPE_INT32 dims: [ 1 ] }',
  `export default class {
  async execute(requests) {
    for (const r of requests) {
      const sender = r.getResponseSender();
      const calls = r.models.stream({ model: 'countdown', inputs: [r.input('X')], parameters: r.parameters });
      for await (const res of calls) {
        if (res.error) sender.send({ error: res.error });
        else sender.send({ outputs: [{ name: 'OUT', data: res.output('OUT').data.map((v) => v * 10) }] });
      }
      sender.send(undefined, { final: true });
    }
  }
}`,
  'model_transaction_policy { decoupled: true }',
);

const WAIT_CANCEL = jsModel(
  'wait_cancel',
  '{ name: "Y" data_type: TYPE_INT32 dims: [ 1 ] }',
  `import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

// Leaves the marker file started-<request id> in the model folder, sleeps the request's sleep_ms
// (or an hour) and answers Y = X; when cancelled first, leaves cancelled-<request id> and answers
// CANCELLED.
export default class {
  initialize(args) { this.dir = args.model_repository; }
  async execute(requests) {
    return Promise.all(requests.map(async (r) => {
      writeFileSync(join(this.dir, 'started-' + r.id), '');
      try {
        await sleep(r.parameters.sleep_ms ?? 3600000, undefined, { signal: r.signal });
        return { outputs: [{ name: 'Y', data: r.input('X').data }] };
      } catch {
        writeFileSync(join(this.dir, 'cancelled-' + r.id), '');
        return { error: 'cancelled', code: 'CANCELLED' };
      }
    }));
  }
}`,
  'instance_group [ { count: 4 kind: KIND_CPU } ]',
);

const BATCHED = {
  config: `name: "batched"
backend: "js"
max_batch_size: 4
input [ { name: "X" data_type: TYPE_INT32 dims: [ 1 ] } ]
output [ { name: "BS" data_type: TYPE_INT32 dims: [ 1 ] } ]
dynamic_batching { preferred_batch_size: [ 4 ] max_queue_delay_microseconds: 10000000 }
`,
  model: `export default class {
  execute(requests) {
    const n = requests.reduce((s, r) => s + r.batchSize, 0);
    return requests.map((r) => ({ outputs: [{ name: 'BS', data: new Array(r.batchSize).fill(n) }] }));
  }
}`,
};

async function writeModel(root: string, name: string, files: { config: string; model: string }, versions = [1]) {
  for (const v of versions) {
    await mkdir(join(root, name, String(v)), { recursive: true });
    await writeFile(join(root, name, String(v), 'model.js'), files.model);
  }
  await writeFile(join(root, name, 'config.pbtxt'), files.config);
}

/** Writes the repository; `remove()` deletes it. */
export async function blsRepository(): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'tensorgate-bls-'));
  for (const example of ['simple', 'bls_simple']) {
    await cp(join(EXAMPLES, example), join(path, example), { recursive: true });
  }
  await writeModel(path, 'bls_probe', { config: PROBE_CONFIG, model: PROBE_MODEL });
  await mkdir(join(path, 'add_sub', '1'), { recursive: true });
  await writeFile(join(path, 'add_sub', '1', 'model.onnx'), addSubOnnx());
  await writeFile(join(path, 'add_sub', 'config.pbtxt'), ADD_SUB_CONFIG);
  await writeModel(path, 'versioned', VERSIONED, [1, 2]);
  await writeModel(path, 'echo_params', ECHO_PARAMS);
  await writeModel(path, 'countdown', COUNTDOWN);
  await writeModel(path, 'bls_relay', RELAY);
  await writeModel(path, 'wait_cancel', WAIT_CANCEL);
  await writeModel(path, 'batched', BATCHED);
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}
