/**
 * `POST /v1/embeddings`: one or more texts in, one vector per text out, from a model with an input
 * `text_input` and an output `embedding` (the llm backend's embedding models, or any model with
 * that interface). `encoding_format` "float" (JSON numbers) or "base64" (little-endian float32
 * bytes, what the OpenAI SDKs ask for by default); `dimensions` must be the model's own (vectors
 * are never truncated); token-id inputs are refused.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { encodeBytesElements } from '@tensorgate/protocol';
import type { InferenceCore } from '../../../core/inference-core.js';
import { InferenceError } from '../../../core/errors.js';
import type { InferRequest } from '../../../core/types.js';
import { EMBEDDING_OUTPUT, isEmbeddingModel } from '../llm-models.js';
import { invalidParam, OpenAiError } from '../openai-errors.js';
import { parseJsonBody, readInteger, readUser, refuseUnknownFields, requireModel } from '../request-fields.js';
import type { ModelConfig } from '../../../core/config/model-config.js';

/** The most texts one request may embed (OpenAI's own limit). */
export const MAX_EMBEDDING_INPUTS = 2048;

const FIELDS = ['model', 'input', 'encoding_format', 'dimensions', 'user'];

function readInput(value: unknown): string[] {
  const texts = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(texts) || texts.length === 0) {
    throw invalidParam('input', "'input' must be a non-empty string or a non-empty array of strings");
  }
  if (texts.length > MAX_EMBEDDING_INPUTS) {
    throw invalidParam('input', `'input' may hold at most ${MAX_EMBEDDING_INPUTS} texts`);
  }
  for (const t of texts) {
    if (typeof t !== 'string')
      throw invalidParam('input', "'input' must hold strings (token-id inputs are not supported)");
    if (t === '') throw invalidParam('input', "'input' may not contain an empty string");
  }
  return texts as string[];
}

function resolveEmbeddingModel(core: InferenceCore, model: string): ModelConfig {
  let config: ModelConfig;
  try {
    config = core.modelConfig(model);
  } catch (e) {
    if (e instanceof InferenceError && e.code === 'NOT_FOUND') {
      throw new OpenAiError(404, `The model '${model}' does not exist`, { param: 'model', code: 'model_not_found' });
    }
    throw e;
  }
  if (!isEmbeddingModel(config)) {
    throw invalidParam(
      'model',
      `model '${model}' is not an embedding model: it needs an input 'text_input' and an FP32 output 'embedding'`,
    );
  }
  return config;
}

/**
 * Builds the embeddings handler.
 *
 * @example
 * ```ts
 * fastify.post('/v1/embeddings', embeddingsHandler(core));
 * ```
 */
export function embeddingsHandler(
  core: InferenceCore,
): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  return async (request, reply) => {
    const body = parseJsonBody(request.body);
    refuseUnknownFields(body, FIELDS);
    const model = requireModel(body);
    const texts = readInput(body['input']);
    const format = body['encoding_format'] ?? 'float';
    if (format !== 'float' && format !== 'base64') {
      throw invalidParam('encoding_format', '\'encoding_format\' must be "float" or "base64"');
    }
    const dimensions = readInteger(body, 'dimensions', 1, 2 ** 31 - 1);
    const user = readUser(body);
    if (user !== undefined) request.log.debug({ user }, 'OpenAI request user');
    const config = resolveEmbeddingModel(core, model);
    const shape = config.max_batch_size > 0 ? [texts.length, 1] : [texts.length];
    const inferRequest: InferRequest = {
      modelName: config.name,
      modelVersion: '',
      id: '',
      inputs: [{ name: 'text_input', datatype: 'BYTES', shape, data: encodeBytesElements(texts) }],
      outputs: [{ name: EMBEDDING_OUTPUT, parameters: {} }],
      parameters: {},
    };
    const controller = new AbortController();
    const onClose = (): void => controller.abort();
    reply.raw.once('close', onClose);
    let response;
    try {
      for await (const r of core.infer(inferRequest, {
        signal: controller.signal,
        protocol: 'http',
        allowDecoupled: false,
      })) {
        if (r.error !== undefined) throw r.error;
        response = r;
      }
    } finally {
      reply.raw.off('close', onClose);
    }
    const out = response?.outputs.find((o) => o.name === EMBEDDING_OUTPUT);
    if (out === undefined || out.datatype !== 'FP32' || out.shape.length !== 2 || out.shape[0] !== texts.length) {
      throw new OpenAiError(500, `model '${model}' did not return one FP32 'embedding' vector per input`);
    }
    const dims = out.shape[1]!;
    if (dimensions !== undefined && dimensions !== dims) {
      throw invalidParam(
        'dimensions',
        `model '${model}' makes ${dims}-dimensional embeddings; 'dimensions' cannot change that`,
      );
    }
    const bytes = Buffer.from(out.data.buffer, out.data.byteOffset, out.data.byteLength);
    const data = texts.map((_, index) => {
      const slice = bytes.subarray(index * dims * 4, (index + 1) * dims * 4);
      const embedding =
        format === 'base64'
          ? slice.toString('base64')
          : Array.from({ length: dims }, (_, j) => slice.readFloatLE(j * 4));
      return { object: 'embedding', index, embedding };
    });
    const p = response?.parameters['num_input_tokens'];
    const tokens = typeof p === 'number' && p >= 0 ? p : 0;
    await reply
      .type('application/json')
      .send(JSON.stringify({ object: 'list', data, model, usage: { prompt_tokens: tokens, total_tokens: tokens } }));
  };
}
