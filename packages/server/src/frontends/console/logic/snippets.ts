/**
 * The try-it panel's "same request elsewhere" snippets: the request the console just sent, as a
 * curl command and as `@tensorgate/client` code. Restricted-API headers appear with a shell
 * variable / environment variable in place of their value, so a snippet never shows a secret.
 */
import type { TensorValue } from './tensor-form.js';

/** One input as the form sent it. */
export interface SnippetInput {
  name: string;
  datatype: string;
  shape: readonly number[];
  /** JSON data (sent as `data`). */
  data?: readonly TensorValue[];
  /** Sent as binary: the bytes of this file (a BYTES input of one element). */
  file?: string;
  /** Sent as binary: an image converted in the browser (layout and scaling described here). */
  image?: { file: string; description: string };
}

/** One infer request as the form sent it. */
export interface SnippetRequest {
  /** The server's base URL, e.g. `http://localhost:8000`. */
  baseUrl: string;
  model: string;
  /** '' for the default version. */
  version: string;
  inputs: readonly SnippetInput[];
  /** Every output of the model (listed in the request when any asks for classes). */
  outputs: readonly string[];
  /** Top-N classes asked for, per output (classification extension). */
  classCount: Readonly<Record<string, number>>;
  /** Restricted-API header names the request carries. */
  headers: readonly string[];
  /** The JSON header of a binary body and its length, when any input is binary. */
  binaryHeaderLength?: number;
}

/** Quotes text for a POSIX shell. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** The environment variable a header's value is read from in snippets (`x-api-key` → `X_API_KEY`). */
export function headerVariable(header: string): string {
  return header.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

function inferPath(model: string, version: string): string {
  const m = encodeURIComponent(model);
  return version === '' ? `/v2/models/${m}/infer` : `/v2/models/${m}/versions/${encodeURIComponent(version)}/infer`;
}

function headerArgs(headers: readonly string[]): string[] {
  return headers.map((h) => `-H ${shellQuote(`${h}: `)}"$${headerVariable(h)}"`);
}

/**
 * The requested outputs: none (the server returns every output) unless an output asks for
 * classes, then every output, those with `classification`.
 */
export function requestedOutputs(request: Pick<SnippetRequest, 'outputs' | 'classCount'>): unknown[] | undefined {
  if (Object.keys(request.classCount).length === 0) return undefined;
  return request.outputs.map((name) => {
    const n = request.classCount[name];
    return n === undefined ? { name } : { name, parameters: { classification: n } };
  });
}

/** The JSON body of a request whose inputs are all JSON. */
export function jsonInferBody(request: SnippetRequest): unknown {
  const outputs = requestedOutputs(request);
  return {
    inputs: request.inputs.map((i) => ({ name: i.name, shape: i.shape, datatype: i.datatype, data: i.data ?? [] })),
    ...(outputs !== undefined ? { outputs } : {}),
  };
}

/** The request as a curl command. */
export function curlSnippet(request: SnippetRequest): string {
  const binary = request.inputs.some((i) => i.file !== undefined || i.image !== undefined);
  const lines = [`curl -s ${shellQuote(request.baseUrl + inferPath(request.model, request.version))}`];
  lines.push(...headerArgs(request.headers));
  if (binary) {
    lines.push(`-H 'Content-Type: application/octet-stream'`);
    lines.push(`-H 'Inference-Header-Content-Length: ${request.binaryHeaderLength ?? 0}'`);
    lines.push(`--data-binary @request.bin`);
  } else {
    lines.push(`-H 'Content-Type: application/json'`);
    lines.push(`-d ${shellQuote(JSON.stringify(jsonInferBody(request)))}`);
  }
  const command = lines.join(' \\\n  ');
  return binary
    ? `# request.bin: the JSON header and the binary input bytes (Triton's binary extension),\n# as the console sent it (download it below the snippet)\n${command}`
    : command;
}

function dataLiteral(input: SnippetInput): string {
  if (input.file !== undefined) return `[await readFile(${JSON.stringify(input.file)})]`;
  if (input.image !== undefined) return `pixels /* ${input.image.description} */`;
  return JSON.stringify(input.data ?? []);
}

/** The request as `@tensorgate/client` code (ES module, Node ≥ 20). */
export function clientSnippet(request: SnippetRequest): string {
  const usesFiles = request.inputs.some((i) => i.file !== undefined);
  const classes = Object.keys(request.classCount).length > 0;
  const imports = ['InferenceClient', 'InferInput', ...(classes ? ['InferRequestedOutput'] : [])];
  const lines = [`import { ${imports.join(', ')} } from '@tensorgate/client';`];
  if (usesFiles) lines.push(`import { readFile } from 'node:fs/promises';`);
  lines.push('');
  const headers = request.headers.map((h) => `${JSON.stringify(h)}: process.env.${headerVariable(h)}`);
  lines.push(
    `const client = InferenceClient.http(${JSON.stringify(request.baseUrl)}${headers.length > 0 ? `, { headers: { ${headers.join(', ')} } }` : ''});`,
  );
  const image = request.inputs.find((i) => i.image !== undefined);
  if (image)
    lines.push(
      `const pixels = /* ${image.image!.description} */ new Float32Array(${image.shape.reduce((a, b) => a * b, 1)});`,
    );
  lines.push('const inputs = [');
  for (const input of request.inputs) {
    const data = input.image !== undefined ? 'pixels' : dataLiteral(input);
    lines.push(
      `  new InferInput(${JSON.stringify(input.name)}, ${JSON.stringify(input.shape)}, ${JSON.stringify(input.datatype)}).setData(${data}),`,
    );
  }
  lines.push('];');
  const options: string[] = [];
  if (classes) {
    const list = request.outputs.map((name) => {
      const n = request.classCount[name];
      return `new InferRequestedOutput(${JSON.stringify(name)}${n === undefined ? '' : `, { classCount: ${n} }`})`;
    });
    options.push(`outputs: [${list.join(', ')}]`);
  }
  if (request.version !== '') options.push(`modelVersion: ${JSON.stringify(request.version)}`);
  lines.push(
    `const result = await client.infer(${JSON.stringify(request.model)}, inputs${options.length > 0 ? `, { ${options.join(', ')} }` : ''});`,
  );
  lines.push('for (const name of result.outputNames) console.log(name, result.shape(name), result.asArray(name));');
  lines.push('await client.close();');
  return lines.join('\n');
}

/** An LLM chat turn as the console streams it (`generate_stream`). */
export interface ChatSnippetRequest {
  baseUrl: string;
  model: string;
  /** The generate request body the console sent. */
  body: Readonly<Record<string, unknown>>;
  headers: readonly string[];
}

/** The chat request as a curl command (`-N`: print events as they arrive). */
export function chatCurlSnippet(request: ChatSnippetRequest): string {
  const url = `${request.baseUrl}/v2/models/${encodeURIComponent(request.model)}/generate_stream`;
  return [
    `curl -sN ${shellQuote(url)}`,
    ...headerArgs(request.headers),
    `-d ${shellQuote(JSON.stringify(request.body))}`,
  ].join(' \\\n  ');
}

/** The chat request as `@tensorgate/client` code (`generateStream`). */
export function chatClientSnippet(request: ChatSnippetRequest): string {
  const headers = request.headers.map((h) => `${JSON.stringify(h)}: process.env.${headerVariable(h)}`);
  return [
    `import { InferenceClient } from '@tensorgate/client';`,
    '',
    `const client = InferenceClient.http(${JSON.stringify(request.baseUrl)}${headers.length > 0 ? `, { headers: { ${headers.join(', ')} } }` : ''});`,
    `for await (const chunk of client.generateStream(${JSON.stringify(request.model)}, ${JSON.stringify(request.body)})) {`,
    "  process.stdout.write(String(chunk.text_output ?? ''));",
    '}',
    'await client.close();',
  ].join('\n');
}
