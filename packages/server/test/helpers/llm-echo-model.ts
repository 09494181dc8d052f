/**
 * The echo LLM of the wire tests (generate extension, OpenAI API, LLMService, LLM metrics): a tiny
 * decoupled JS model implementing the LLM model contract of docs/llm.md, so those frontends and the
 * metrics are tested without a GGUF model. Its reply is deterministic: a prefix (`echo:` unless
 * {@link EchoLlmOptions.replyPrefix} says otherwise) followed by the prompt's words (for chat, the
 * last user message's), one word per token; a streamed request gets one response per token.
 *
 * - `sampling_parameters`: `max_tokens` (default 128, a positive integer) cuts the reply
 *   (finish_reason "length"); `stop` (a string or an array) ends the text before the first stop
 *   string (finish_reason "stop"); bad JSON or a bad `max_tokens` is INVALID_ARG; '' is no settings.
 * - A non-streamed `text_input` reply is prompt + reply (no separator, as the llm backend) unless
 *   `exclude_input_in_output` is true; chat replies never include the prompt.
 * - The final response carries `finish_reason`, `num_input_tokens` (prompt words; for chat, the
 *   words of all messages) and `num_output_tokens` (reply tokens). When streaming it is an extra
 *   response without outputs (which frontends read as empty text), or the last token's response
 *   ({@link EchoLlmOptions.streamFinal}).
 * - Trigger words in the prompt: `slow` gets a 1000-token reply (`tick`), one token per
 *   {@link EchoLlmOptions.slowTokenDelayMs}; `fail` fails after the first token (INTERNAL, "echo
 *   model failed on purpose").
 * - A cancellation seen between tokens ends the request with finish_reason "cancelled".
 * - More than `maxQueueSize` requests at once: RESOURCE_EXHAUSTED, as the llm backend does.
 * - Each request and each cancellation is logged as a JSON line (see {@link readEchoLog}).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const MODEL_JS = String.raw`
import { appendFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const words = (s) => s.split(/\s+/).filter((w) => w !== '');

export default class EchoLlm {
  initialize(args) {
    const p = args.model_config.parameters ?? {};
    const param = (key, fallback) => p[key]?.string_value ?? fallback;
    this.name = args.model_name;
    this.logFile = param('log_file', '');
    this.prefix = words(param('reply_prefix', 'echo:'));
    this.maxQueue = Number(param('max_queue_size', '16'));
    this.tokenDelayMs = Number(param('token_delay_ms', '0'));
    this.slowDelayMs = Number(param('slow_token_delay_ms', '20'));
    this.finalWithLastToken = param('stream_final', 'separate') === 'with-last-token';
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
      const error = "model '" + this.name + "' is busy: max_queue_size " + this.maxQueue + ' reached';
      sender.send({ error, code: 'RESOURCE_EXHAUSTED' }, { final: true });
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
    const invalid = (error) => sender.send({ error, code: 'INVALID_ARG' }, { final: true });
    const str = (name) => request.findInput(name)?.strings()[0];
    const bool = (name) => (request.findInput(name)?.toArray()[0] ?? false) === true;
    const stream = bool('stream');
    const exclude = bool('exclude_input_in_output');
    let sampling = {};
    const rawSampling = str('sampling_parameters') ?? '';
    if (rawSampling.trim() !== '') {
      try {
        sampling = JSON.parse(rawSampling);
      } catch {
        return invalid('sampling_parameters is not valid JSON');
      }
    }
    const maxTokens = sampling.max_tokens ?? 128;
    if (!Number.isInteger(maxTokens) || maxTokens < 1) return invalid('max_tokens must be a positive integer');
    const stops = sampling.stop === undefined ? [] : [].concat(sampling.stop).filter((s) => s !== '');

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
      return invalid('text_input or chat_messages is required');
    }
    this.log({ event: 'request', prompt, messages, stream, exclude, sampling, parameters: request.parameters });

    const saidWords = words(said);
    const slow = saidWords.includes('slow');
    let tokens = slow ? Array(1000).fill('tick') : [...this.prefix, ...saidWords];
    let finish = 'stop';
    if (tokens.length > maxTokens) {
      tokens = tokens.slice(0, maxTokens);
      finish = 'length';
    }
    let text = tokens.join(' ');
    const at = Math.min(...stops.map((s) => text.indexOf(s)).filter((i) => i >= 0));
    if (at !== Infinity) {
      text = text.slice(0, at);
      finish = 'stop';
    }
    // One chunk per word with its leading space; the last keeps trailing space a stop cut left.
    const chunks = text.match(/\s*\S+(?:\s+$)?/g) ?? [];
    const delayMs = slow ? this.slowDelayMs : this.tokenDelayMs;
    const fail = saidWords.includes('fail');
    const textOutput = (t) => [{ name: 'text_output', data: [t] }];
    const parametersAfter = (n) => ({ finish_reason: finish, num_input_tokens: inputTokens, num_output_tokens: n });

    let generated = '';
    for (let i = 0; i < chunks.length; i++) {
      if (delayMs > 0) await sleep(delayMs, undefined, { signal: request.signal }).catch(() => {});
      if (request.isCancelled()) {
        this.log({ event: 'cancelled', after: i, firstWord: saidWords[0] ?? '' });
        finish = 'cancelled';
        const parameters = parametersAfter(i);
        sender.send({ outputs: stream ? [] : textOutput(generated), parameters }, { final: true });
        return;
      }
      if (fail && i === 1) {
        sender.send({ error: 'echo model failed on purpose', code: 'INTERNAL' }, { final: true });
        return;
      }
      generated += chunks[i];
      if (!stream) continue;
      if (this.finalWithLastToken && i === chunks.length - 1) {
        sender.send({ outputs: textOutput(chunks[i]), parameters: parametersAfter(chunks.length) }, { final: true });
        return;
      }
      sender.send({ outputs: textOutput(chunks[i]) });
    }
    const includePrompt = !stream && !exclude && prompt !== undefined && chat === undefined;
    // A streamed reply's final response has no outputs, so metrics count no extra token for it.
    const outputs = stream ? [] : textOutput(includePrompt ? prompt + generated : generated);
    sender.send({ outputs, parameters: parametersAfter(chunks.length) }, { final: true });
  }
}
`;

/** The reply's first words unless {@link EchoLlmOptions.replyPrefix} says otherwise. */
export const DEFAULT_REPLY_PREFIX = 'echo:';

/** Options of {@link writeEchoLlm}; every one has a default, so `{}` is a working model. */
export interface EchoLlmOptions {
  /**
   * Where the model appends its JSON lines (read them with {@link readEchoLog}); default
   * `echo-log.jsonl` in the model's version directory.
   */
  logFile?: string;
  /** Words the reply starts with before the prompt's words (default {@link DEFAULT_REPLY_PREFIX}). */
  replyPrefix?: string;
  /**
   * How a streamed request ends: `separate` (the default, like the llm backend): every token gets a
   * response, then a final one with the parameters and no outputs; `with-last-token`: the last
   * token's response is the final one and carries the parameters.
   */
  streamFinal?: 'separate' | 'with-last-token';
  /** Delay before each token, for cancellation and deadline tests (default 0). */
  tokenDelayMs?: number;
  /** Delay before each token of a reply to a prompt with the word `slow` (default 20 ms). */
  slowTokenDelayMs?: number;
  /** Requests at once before RESOURCE_EXHAUSTED (default 16). */
  maxQueueSize?: number;
  /** Leave out the `chat_messages` input (a completions-only model). */
  noChat?: boolean;
}

/** Where {@link writeEchoLlm} put the model. */
export interface EchoLlmFiles {
  /** The model's version directory (`<repository>/<name>/1`). */
  readonly versionDir: string;
  /** The JSON-lines log of requests and cancellations, for {@link readEchoLog}. */
  readonly logFile: string;
}

/**
 * Writes the echo LLM as `<repository>/<name>` (config.pbtxt and 1/model.js), so a test can serve
 * an LLM-contract model without a GGUF file.
 *
 * @example
 * ```ts
 * const repo = await tempRepository(['simple']);
 * await writeEchoLlm(repo.path, 'echo');
 * const { logFile } = await writeEchoLlm(repo.path, 'echo_slow', { tokenDelayMs: 20 });
 * ```
 */
export async function writeEchoLlm(
  repository: string,
  name: string,
  options: EchoLlmOptions = {},
): Promise<EchoLlmFiles> {
  const versionDir = join(repository, name, '1');
  const logFile = options.logFile ?? join(versionDir, 'echo-log.jsonl');
  const params: Array<[string, string]> = [
    ['log_file', logFile],
    ['reply_prefix', options.replyPrefix ?? DEFAULT_REPLY_PREFIX],
    ['stream_final', options.streamFinal ?? 'separate'],
    ['token_delay_ms', String(options.tokenDelayMs ?? 0)],
    ['slow_token_delay_ms', String(options.slowTokenDelayMs ?? 20)],
    ['max_queue_size', String(options.maxQueueSize ?? 16)],
  ];
  const chat = options.noChat ? '' : ',\n  { name: "chat_messages" data_type: TYPE_STRING dims: [ 1 ] optional: true }';
  await mkdir(versionDir, { recursive: true });
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
  await writeFile(join(versionDir, 'model.js'), MODEL_JS);
  return { versionDir, logFile };
}

/**
 * The JSON lines the echo model logged so far (empty before the file exists):
 * `{event: 'request', prompt, messages, stream, exclude, sampling, parameters}` per request and
 * `{event: 'cancelled', after, firstWord}` per cancellation (`after`: tokens generated before it).
 */
export async function readEchoLog(logFile: string): Promise<Array<Record<string, unknown>>> {
  const text = await readFile(logFile, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/**
 * The whole reply the echo model generates for a `text_input` `prompt` (no stop, enough
 * max_tokens, prompt excluded), for assertions that should not spell it out.
 *
 * @example
 * ```ts
 * echoReply('the quick fox'); // 'echo: the quick fox'
 * ```
 */
export function echoReply(prompt: string, options: Pick<EchoLlmOptions, 'replyPrefix'> = {}): string {
  const words = (s: string): string[] => s.split(/\s+/).filter((w) => w !== '');
  return [...words(options.replyPrefix ?? DEFAULT_REPLY_PREFIX), ...words(prompt)].join(' ');
}
