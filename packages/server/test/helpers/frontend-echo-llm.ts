/**
 * The echo LLM of the generate-extension and OpenAI wire tests: a tiny decoupled JS model that
 * implements the LLM model contract, so those frontends are tested without a real LLM. Its reply
 * is deterministic: "You said:" followed by the prompt's words (for chat, the last user message's),
 * one word per chunk when streaming.
 *
 * - `sampling_parameters`: `max_tokens` (default 128) cuts the reply (finish_reason "length"),
 *   `stop` cuts it before the first stop string (finish_reason "stop"); bad JSON is INVALID_ARG.
 * - `exclude_input_in_output` false (the default) puts the prompt before a non-streamed reply.
 * - The final response carries the last chunk, `finish_reason`, `num_input_tokens` (prompt words)
 *   and `num_output_tokens` (reply words).
 * - A prompt with the word `slow` gets a 1000-word reply, one word per `chunk_delay_ms`; `fail`
 *   fails after the first chunk (INTERNAL).
 * - More than `max_queue_size` requests at once: RESOURCE_EXHAUSTED, as the llm backend does.
 * - Each request and each cancellation is logged as a JSON line to the `log_file` parameter.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const MODEL_JS = String.raw`
import { appendFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const words = (s) => s.split(/\s+/).filter((w) => w !== '');

export default class EchoLlm {
  initialize(args) {
    const p = args.model_config.parameters;
    this.logFile = p.log_file?.string_value ?? '';
    this.maxQueue = Number(p.max_queue_size?.string_value ?? '16');
    this.delayMs = Number(p.chunk_delay_ms?.string_value ?? '20');
    this.inFlight = 0;
  }

  log(entry) {
    if (this.logFile !== '') appendFileSync(this.logFile, JSON.stringify(entry) + '\n');
  }

  execute(requests) {
    for (const request of requests) void this.run(request, request.getResponseSender());
  }

  async run(request, sender) {
    if (this.inFlight >= this.maxQueue) {
      sender.send({ error: "model 'echo' is busy: max_queue_size " + this.maxQueue + ' reached', code: 'RESOURCE_EXHAUSTED' }, { final: true });
      return;
    }
    this.inFlight++;
    try {
      await this.generate(request, sender);
    } catch (err) {
      sender.send({ error: String(err?.message ?? err) }, { final: true });
    } finally {
      this.inFlight--;
    }
  }

  async generate(request, sender) {
    const str = (name) => request.findInput(name)?.strings()[0];
    const bool = (name) => (request.findInput(name)?.toArray()[0] ?? false) === true;
    const stream = bool('stream');
    const exclude = bool('exclude_input_in_output');
    let sampling = {};
    const rawSampling = str('sampling_parameters');
    if (rawSampling !== undefined) {
      try {
        sampling = JSON.parse(rawSampling);
      } catch {
        sender.send({ error: 'sampling_parameters is not valid JSON', code: 'INVALID_ARG' }, { final: true });
        return;
      }
    }
    const prompt = str('text_input');
    const chat = str('chat_messages');
    let said;
    let inputTokens;
    let messages;
    if (chat !== undefined) {
      messages = JSON.parse(chat);
      const users = messages.filter((m) => m.role === 'user');
      said = users.length > 0 ? users[users.length - 1].content : '';
      inputTokens = messages.reduce((n, m) => n + words(m.content).length, 0);
    } else if (prompt !== undefined) {
      said = prompt;
      inputTokens = words(prompt).length;
    } else {
      sender.send({ error: 'text_input or chat_messages is required', code: 'INVALID_ARG' }, { final: true });
      return;
    }
    this.log({ event: 'request', prompt, messages, stream, exclude, sampling, parameters: request.parameters });

    const slow = words(said).includes('slow');
    let reply = slow ? Array(1000).fill('tick') : ['You', 'said:', ...words(said)];
    let finish = 'stop';
    const max = sampling.max_tokens ?? 128;
    if (reply.length > max) {
      reply = reply.slice(0, max);
      finish = 'length';
    }
    let text = reply.join(' ');
    const stops = typeof sampling.stop === 'string' ? [sampling.stop] : (sampling.stop ?? []);
    for (const s of stops) {
      const at = text.indexOf(s);
      if (at >= 0) {
        text = text.slice(0, at);
        finish = 'stop';
      }
    }
    const chunks = text.match(/\s*\S+/g) ?? [];
    const parameters = { finish_reason: finish, num_input_tokens: inputTokens, num_output_tokens: chunks.length };

    if (!stream) {
      const whole = !exclude && prompt !== undefined && chat === undefined ? prompt + ' ' + text : text;
      sender.send({ outputs: [{ name: 'text_output', data: [whole] }], parameters }, { final: true });
      return;
    }
    for (let i = 0; i < chunks.length; i++) {
      if (slow) {
        try {
          await sleep(this.delayMs, undefined, { signal: request.signal });
        } catch {
          // Cancelled while waiting.
        }
      }
      if (request.isCancelled()) {
        this.log({ event: 'cancelled', after: i });
        sender.send({ error: 'cancelled', code: 'CANCELLED' }, { final: true });
        return;
      }
      if (words(said).includes('fail') && i === 1) {
        sender.send({ error: 'echo model failed on purpose', code: 'INTERNAL' }, { final: true });
        return;
      }
      const last = i === chunks.length - 1;
      sender.send(
        { outputs: [{ name: 'text_output', data: [chunks[i]] }], ...(last ? { parameters } : {}) },
        last ? { final: true } : undefined,
      );
    }
    if (chunks.length === 0) sender.send({ outputs: [{ name: 'text_output', data: [''] }], parameters }, { final: true });
  }
}
`;

/** Options of {@link writeEchoLlm}. */
export interface EchoLlmOptions {
  /** JSON lines of requests and cancellations go here. */
  logFile?: string;
  /** Requests at once before RESOURCE_EXHAUSTED (default 16). */
  maxQueueSize?: number;
  /** Delay per chunk of a `slow` prompt (default 20 ms). */
  chunkDelayMs?: number;
  /** Leave out the `chat_messages` input (a completions-only model). */
  noChat?: boolean;
}

/**
 * Writes the echo LLM as `<repository>/<name>` (config.pbtxt and 1/model.js).
 *
 * @example
 * ```ts
 * await writeEchoLlm(dir, 'echo', { logFile: join(dir, 'log.jsonl') });
 * ```
 */
export async function writeEchoLlm(repository: string, name: string, options: EchoLlmOptions = {}): Promise<void> {
  const params: Array<[string, string]> = [
    ['log_file', options.logFile ?? ''],
    ['max_queue_size', String(options.maxQueueSize ?? 16)],
    ['chunk_delay_ms', String(options.chunkDelayMs ?? 20)],
  ];
  const chat = options.noChat ? '' : ',\n  { name: "chat_messages" data_type: TYPE_STRING dims: [ 1 ] optional: true }';
  await mkdir(join(repository, name, '1'), { recursive: true });
  await writeFile(
    join(repository, name, 'config.pbtxt'),
    `name: "${name}"
backend: "js"
max_batch_size: 0
model_transaction_policy { decoupled: true }
input [
  { name: "text_input" data_type: TYPE_STRING dims: [ 1 ] optional: true },
  { name: "stream" data_type: TYPE_BOOL dims: [ 1 ] optional: true },
  { name: "sampling_parameters" data_type: TYPE_STRING dims: [ 1 ] optional: true },
  { name: "exclude_input_in_output" data_type: TYPE_BOOL dims: [ 1 ] optional: true }${chat}
]
output [ { name: "text_output" data_type: TYPE_STRING dims: [ -1 ] } ]
instance_group [ { count: 1 kind: KIND_CPU } ]
${params.map(([k, v]) => `parameters { key: "${k}" value { string_value: ${JSON.stringify(v)} } }`).join('\n')}
`,
  );
  await writeFile(join(repository, name, '1', 'model.js'), MODEL_JS);
}

/** The JSON lines the echo model logged so far (empty before the file exists). */
export async function readEchoLog(logFile: string): Promise<Array<Record<string, unknown>>> {
  const text = await readFile(logFile, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
