/**
 * `tensorgate infer`: sends one inference request and prints the outputs.
 *
 *   tensorgate infer -m simple --input INPUT0:INT32:1,16:@a.json --input INPUT1:INT32:1,16:@b.json
 *   tensorgate infer -m simple_string -i grpc --input @request.json --output OUTPUT0 --json
 */
import { InferInput, InferRequestedOutput } from '@tensorgate/client';
import type { Command } from 'commander';
import type { CliIO } from './cli-io.js';
import {
  addConnectionOptions,
  collect,
  commandAction,
  connect,
  wholeNumber,
  type ConnectionOptions,
  type ExitSetter,
} from './connection.js';
import { parseInputSpecs } from './input-spec.js';
import { formatResultText, resultJson } from './tensor-print.js';

/** Parsed options of `tensorgate infer`. */
interface InferOptions extends ConnectionOptions {
  readonly model: string;
  readonly modelVersion?: string;
  readonly input: string[];
  readonly output: string[];
  readonly classification?: number;
  readonly requestId?: string;
  readonly json?: boolean;
  readonly maxValues: number;
}

/** Registers `infer` on the program. */
export function addInferCommand(program: Command, io: CliIO, setExit: ExitSetter): void {
  const cmd = program
    .command('infer')
    .description('send one inference request and print the outputs')
    .requiredOption('-m, --model <name>', 'model name')
    .option('-x, --model-version <version>', 'model version (default: the server picks)')
    .option(
      '--input <spec>',
      'an input: NAME:DTYPE:SHAPE:DATA (DATA = 1,2,3 | JSON array | @values.json | @array.npy), ' +
        'NAME:@array.npy, or @request.json (KServe v2 JSON inputs); repeat for each input',
      collect,
      [],
    )
    .option('--output <name>', 'an output to return (repeatable; default: every output)', collect, [])
    .option('--classification <n>', 'return the top N classes of each requested output', wholeNumber(1))
    .option('--request-id <id>', 'request id to send')
    .option('--json', 'print the result as JSON (every value)')
    .option('--max-values <n>', 'values printed per output before cutting (0 = all)', wholeNumber(0), 16);
  addConnectionOptions(cmd);
  cmd.action(commandAction('infer', io, setExit, (opts: InferOptions) => runInfer(opts, io)));
}

async function runInfer(opts: InferOptions, io: CliIO): Promise<number> {
  const tensors = parseInputSpecs(opts.input, io.cwd);
  if (tensors.length === 0) throw new Error('no --input given');
  if (opts.classification !== undefined && opts.output.length === 0) {
    throw new Error('--classification needs the --output names to classify');
  }
  const inputs = tensors.map((t) => new InferInput(t.name, t.shape, t.datatype).setData(t.values));
  const outputs = opts.output.map(
    (name) => new InferRequestedOutput(name, opts.classification ? { classCount: opts.classification } : {}),
  );
  const client = connect(opts);
  try {
    const result = await client.infer(opts.model, inputs, {
      ...(opts.modelVersion !== undefined ? { modelVersion: opts.modelVersion } : {}),
      ...(outputs.length ? { outputs } : {}),
      ...(opts.requestId !== undefined ? { requestId: opts.requestId } : {}),
    });
    io.stdout.write(
      opts.json ? `${JSON.stringify(resultJson(result), null, 2)}\n` : formatResultText(result, opts.maxValues),
    );
    return 0;
  } finally {
    await client.close();
  }
}
