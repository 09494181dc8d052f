/**
 * `llm.LLMService` (llm_service.proto) on the gRPC port: text generation over any model of the
 * LLM contract, through the same core path (validation, scheduling, statistics, metrics) as
 * ModelInfer.
 *
 * - Generate: a non-streamed request (`stream: false`); every `text_output` the model sends is
 *   joined into `GenerateResponse.text`, with the finish reason and token counts of its final
 *   response.
 * - StreamGenerate: a streamed request (`stream: true`); one Token per response with text, then
 *   a last Token with `is_finished: true` (and no text) carrying the finish reason and counts.
 *   Writes wait while the client does not read, so a slow reader slows the model down instead
 *   of piling up messages.
 *
 * A client cancel or the call's deadline aborts the request in the core, which stops the model.
 * An error response of the model ends the call with its status, like any core error.
 */
import { once } from 'node:events';
import type { sendUnaryData, ServerUnaryCall, ServerWritableStream, UntypedServiceImplementation } from '@grpc/grpc-js';
import type { GenerateRequestMessage, GenerateResponseMessage, TokenMessage } from '@tensorgate/protocol';
import type { Logger } from 'pino';
import { InferenceError } from '../../core/errors.js';
import type { InferenceCore } from '../../core/inference-core.js';
import { llmCompletionInfo, llmResponseText, type LlmCompletionInfo } from '../../core/llm-contract.js';
import type { RequestContext } from '../../core/types.js';
import { CallScope } from './call-scope.js';
import { generateInferRequest, LlmModelPicker } from './generate-request.js';
import { toGrpcError } from './grpc-status.js';

/** A grpc-js StreamGenerate call. */
export type StreamGenerateCall = ServerWritableStream<GenerateRequestMessage, TokenMessage>;

/** The usage fields shared by GenerateResponse and the last Token. */
function usageFields(
  info: LlmCompletionInfo,
): Pick<GenerateResponseMessage, 'finish_reason' | 'prompt_tokens' | 'completion_tokens'> {
  return {
    finish_reason: info.finishReason ?? '',
    prompt_tokens: info.inputTokens ?? 0,
    completion_tokens: info.outputTokens ?? 0,
  };
}

function contextOf(scope: CallScope): RequestContext {
  return { signal: scope.signal, protocol: 'grpc', allowDecoupled: true };
}

function logUnexpected(logger: Logger, err: unknown, rpc: string): void {
  if (!(err instanceof InferenceError)) logger.error({ err, rpc }, 'LLMService call failed unexpectedly');
}

/** Runs one Generate call and answers through `callback`. Never rejects. */
async function generate(
  core: InferenceCore,
  picker: LlmModelPicker,
  logger: Logger,
  call: ServerUnaryCall<GenerateRequestMessage, GenerateResponseMessage>,
  callback: sendUnaryData<GenerateResponseMessage>,
): Promise<void> {
  const scope = new CallScope(call);
  try {
    const msg = call.request;
    const model = await picker.pick(msg.model, msg.model_version);
    const reply: GenerateResponseMessage = { text: '', model };
    let info: LlmCompletionInfo = {};
    for await (const response of core.infer(generateInferRequest(msg, model, false), contextOf(scope))) {
      if (response.error) throw response.error;
      reply.text += llmResponseText(response);
      reply.model_version = response.modelVersion;
      if (response.final) info = llmCompletionInfo(response.parameters);
    }
    callback(null, { ...reply, ...usageFields(info) });
  } catch (err) {
    logUnexpected(logger, err, 'Generate');
    callback(toGrpcError(err));
  } finally {
    scope.close();
  }
}

/** Writes one message, waiting for the client to read when the buffer is full. */
async function write(call: StreamGenerateCall, scope: CallScope, message: TokenMessage): Promise<void> {
  if (!call.write(message)) await once(call, 'drain', { signal: scope.signal.abortSignal });
}

/** Runs one StreamGenerate call until its last Token or its error status. Never rejects. */
async function streamGenerate(
  core: InferenceCore,
  picker: LlmModelPicker,
  logger: Logger,
  call: StreamGenerateCall,
): Promise<void> {
  const scope = new CallScope(call);
  try {
    const msg = call.request;
    const model = await picker.pick(msg.model, msg.model_version);
    let info: LlmCompletionInfo = {};
    for await (const response of core.infer(generateInferRequest(msg, model, true), contextOf(scope))) {
      if (response.error) throw response.error;
      const text = llmResponseText(response);
      if (text !== '') await write(call, scope, { text });
      if (response.final) info = llmCompletionInfo(response.parameters);
    }
    await write(call, scope, { text: '', is_finished: true, ...usageFields(info) });
    call.end();
  } catch (err) {
    if (call.cancelled) return; // the client is gone: nobody to tell
    // Aborted by the deadline: report the abort's reason, not the AbortError of a pending write.
    const reason: unknown = scope.signal.aborted ? scope.signal.reason : err;
    logUnexpected(logger, reason, 'StreamGenerate');
    // grpc-js ends a server stream with the status of an 'error' event.
    call.emit('error', toGrpcError(reason));
  } finally {
    scope.close();
  }
}

/**
 * The LLMService implementation for `server.addService`.
 *
 * @example
 * ```ts
 * server.addService(serviceDefinitionOf(LLM_SERVICE_NAME), llmServiceHandlers(core, logger));
 * ```
 */
export function llmServiceHandlers(core: InferenceCore, logger: Logger): UntypedServiceImplementation {
  const picker = new LlmModelPicker(core);
  return {
    Generate: (
      call: ServerUnaryCall<GenerateRequestMessage, GenerateResponseMessage>,
      callback: sendUnaryData<GenerateResponseMessage>,
    ) => void generate(core, picker, logger, call, callback),
    StreamGenerate: (call: StreamGenerateCall) => void streamGenerate(core, picker, logger, call),
  };
}
