/**
 * A small JS model of the LLM contract, for testing LLM frontends and metrics without a GGUF
 * model. Its reply is deterministic: the words `echo:` and then the prompt's words, one word per
 * "token". It honours `stream`, `exclude_input_in_output`, `chat_messages` (the last message's
 * content is the prompt) and the `max_tokens` and `stop` sampling parameters, sends the final
 * response with `finish_reason`, `num_input_tokens` (prompt words) and `num_output_tokens`, and
 * rejects bad sampling JSON with INVALID_ARG.
 *
 * Config parameter `token_delay_ms` slows every token down (for cancellation tests). When it
 * notices a cancellation, the model appends the prompt's first word to `cancelled.log` in its
 * version directory, so tests can check that the cancel reached the model.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const MODEL_JS = `
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export default class EchoLlm {
  initialize(args) {
    const p = args.model_config.parameters ?? {};
    this.delayMs = Number(p.token_delay_ms?.string_value ?? 0);
    this.cancelLog = join(args.model_version_path, 'cancelled.log');
  }

  execute(requests) {
    for (const request of requests) void this.generate(request, request.getResponseSender());
  }

  async generate(request, sender) {
    try {
      const invalid = (error) => sender.send({ error, code: 'INVALID_ARG' }, { final: true });
      const chat = request.findInput('chat_messages')?.strings()[0];
      const prompt = chat !== undefined ? JSON.parse(chat).at(-1).content : request.findInput('text_input')?.strings()[0];
      if (prompt === undefined) return invalid('text_input or chat_messages is required');
      const stream = request.findInput('stream')?.data[0] === 1;
      const exclude = chat !== undefined || request.findInput('exclude_input_in_output')?.data[0] === 1;
      let sampling = {};
      const samplingText = request.findInput('sampling_parameters')?.strings()[0];
      if (samplingText) {
        try {
          sampling = JSON.parse(samplingText);
        } catch {
          return invalid('sampling_parameters is not valid JSON');
        }
      }
      const maxTokens = sampling.max_tokens ?? 128;
      if (!Number.isInteger(maxTokens) || maxTokens < 1) return invalid('max_tokens must be a positive integer');
      const stops = sampling.stop === undefined ? [] : [].concat(sampling.stop);
      const promptWords = prompt.split(/\\s+/).filter((w) => w !== '');
      const words = ['echo:', ...promptWords];
      let text = '';
      let n = 0;
      let reason = 'stop';
      for (let i = 0; i < words.length; i++) {
        if (n >= maxTokens) {
          reason = 'length';
          break;
        }
        if (this.delayMs > 0) await sleep(this.delayMs);
        if (request.isCancelled()) {
          appendFileSync(this.cancelLog, (promptWords[0] ?? '') + '\\n');
          reason = 'cancelled';
          break;
        }
        const piece = i === 0 ? words[i] : ' ' + words[i];
        if (stops.some((s) => (text + piece).includes(s))) break;
        text += piece;
        n++;
        if (stream) sender.send({ outputs: [{ name: 'text_output', data: [piece] }] });
      }
      const parameters = { finish_reason: reason, num_input_tokens: promptWords.length, num_output_tokens: n };
      const last = stream ? [] : [{ name: 'text_output', data: [exclude ? text : prompt + text] }];
      sender.send({ outputs: last, parameters }, { final: true });
    } catch (err) {
      sender.send({ error: String(err?.message ?? err) }, { final: true });
    }
  }
}
`;

function configOf(name: string, tokenDelayMs: number): string {
  return `name: "${name}"
backend: "js"
max_batch_size: 0
model_transaction_policy { decoupled: true }
input [
  { name: "text_input" data_type: TYPE_STRING dims: [ 1 ] optional: true },
  { name: "stream" data_type: TYPE_BOOL dims: [ 1 ] optional: true },
  { name: "sampling_parameters" data_type: TYPE_STRING dims: [ 1 ] optional: true },
  { name: "exclude_input_in_output" data_type: TYPE_BOOL dims: [ 1 ] optional: true },
  { name: "chat_messages" data_type: TYPE_STRING dims: [ 1 ] optional: true }
]
output [ { name: "text_output" data_type: TYPE_STRING dims: [ -1 ] } ]
parameters { key: "token_delay_ms" value { string_value: "${tokenDelayMs}" } }
`;
}

/**
 * Writes an echo LLM model called `name` (version 1) into the repository at `repository`;
 * returns its version directory (where `cancelled.log` appears).
 *
 * @example
 * ```ts
 * const repo = await tempRepository(['simple']);
 * await writeEchoLlm(repo.path, 'echo');
 * await writeEchoLlm(repo.path, 'echo_slow', { tokenDelayMs: 20 });
 * ```
 */
export async function writeEchoLlm(
  repository: string,
  name: string,
  options: { tokenDelayMs?: number } = {},
): Promise<string> {
  const versionDir = join(repository, name, '1');
  await mkdir(versionDir, { recursive: true });
  await writeFile(join(repository, name, 'config.pbtxt'), configOf(name, options.tokenDelayMs ?? 0));
  await writeFile(join(versionDir, 'model.js'), MODEL_JS);
  return versionDir;
}

/** The reply the echo model generates for `prompt` (all of it: no stop, enough max_tokens). */
export function echoReply(prompt: string): string {
  return ['echo:', ...prompt.split(/\s+/).filter((w) => w !== '')].join(' ');
}
