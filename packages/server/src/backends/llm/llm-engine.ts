/**
 * One loaded GGUF model in node-llama-cpp: the Llama runtime, the model, one context whose
 * sequences serve the parallel requests, and the chat wrapper resolved from the model's template.
 * node-llama-cpp batches the pending tokens of all sequences of a context into one decode call,
 * so requests generating at the same time are decoded together (continuous batching); the
 * decoding itself runs on llama.cpp's native threads, off the event loop.
 */
import type { Logger } from 'pino';
import type {
  ChatHistoryItem,
  ChatWrapper,
  Llama,
  LlamaCompletionGenerationOptions,
  LlamaContext,
  LlamaGrammar,
  LlamaModel,
  Token,
  TokenBias,
} from 'node-llama-cpp';
import { InferenceError, invalidArg } from '../../core/errors.js';
import { DeferredChunks, type StreamChunk } from './deferred-chunks.js';
import type { GuidedDecoding } from './generation-controls.js';
import type { ChatMessage, GenerationRequest } from './llm-request.js';
import type { LlmSettings } from './llm-settings.js';
import { nodeLlamaCpp } from './node-llama-cpp.js';
import { LogprobRecorder, recordProbabilities, type TokenLogprob } from './token-logprobs.js';

/** Why generation ended, as the contract's `finish_reason` names it. */
export type FinishReason = 'stop' | 'length' | 'cancelled';

/** The outcome of one generation. */
export interface GenerationResult {
  readonly text: string;
  readonly finishReason: FinishReason;
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** Per output token, when the request asked for `logprobs`. */
  readonly logprobs?: TokenLogprob[];
}

/** A piece of generated text, with its tokens' log-probabilities when asked for. */
export type GeneratedChunk = StreamChunk;

/** The model input: tokens plus the stop triggers of the chat template. */
interface RenderedPrompt {
  readonly tokens: Token[];
  readonly stopTriggers: NonNullable<LlamaCompletionGenerationOptions['customStopTriggers']>;
}

function toHistory(messages: readonly ChatMessage[]): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = messages.map((m) =>
    m.role === 'system'
      ? { type: 'system', text: m.content }
      : m.role === 'user'
        ? { type: 'user', text: m.content }
        : { type: 'model', response: [m.content] },
  );
  history.push({ type: 'model', response: [] }); // the turn to generate
  return history;
}

/**
 * @example
 * ```ts
 * const engine = await LlmEngine.load(settings, logger);
 * const r = await engine.generate(request, signal, (chunk) => send(chunk));
 * await engine.dispose();
 * ```
 */
export class LlmEngine {
  private constructor(
    private readonly llama: Llama,
    private readonly model: LlamaModel,
    private readonly context: LlamaContext,
    /** node-llama-cpp's wrapper for the GGUF's chat template (or its fallback when there is none). */
    readonly chatWrapper: ChatWrapper,
    /** The token node-llama-cpp puts before every completion input, if any. */
    private readonly bosToken: Token | undefined,
    /** Number of tokens in the vocabulary (token ids are below it). */
    readonly vocabularySize: number,
    /** Streamed chunks waiting for the next decode dispatch (deferred-chunks.ts). */
    private readonly deferred: DeferredChunks,
  ) {}

  /** node-llama-cpp's generic JSON grammar, built on first use. */
  private jsonGrammar: Promise<LlamaGrammar> | undefined;

  /**
   * Starts the runtime, loads the model and creates the context. Errors become INVALID_ARG with
   * llama.cpp's own messages (which arrive only through its log callback).
   */
  static async load(settings: LlmSettings, logger: Logger): Promise<LlmEngine> {
    const nlc = await nodeLlamaCpp();
    const recent: string[] = [];
    const llama = await nlc.getLlama({
      gpu: settings.gpuLayers > 0 ? 'auto' : false,
      build: 'never',
      maxThreads: settings.threads,
      logLevel: nlc.LlamaLogLevel.warn,
      logger: (level, message) => {
        const text = message.trim();
        if (text === '') return;
        if (level === nlc.LlamaLogLevel.error || level === nlc.LlamaLogLevel.fatal) {
          recent.push(text);
          if (recent.length > 5) recent.shift();
          logger.error({ llama: text }, 'llama.cpp');
        } else logger.warn({ llama: text }, 'llama.cpp');
      },
    });
    if (settings.gpuLayers > 0 && llama.gpu === false) {
      logger.warn(
        { gpuLayers: settings.gpuLayers },
        'gpu_layers set, but node-llama-cpp found no usable GPU build: running on CPU',
      );
    }
    let model: LlamaModel | undefined;
    const deferred = new DeferredChunks(settings.streamIntervalMs);
    try {
      model = await llama.loadModel({ modelPath: settings.modelFile, gpuLayers: settings.gpuLayers });
      const context = await model.createContext({
        sequences: settings.maxParallelSequences,
        batching: { dispatchSchedule: deferred.schedule },
        threads: settings.threads,
        ...(settings.contextSize === undefined ? {} : { contextSize: settings.contextSize }),
        ...(settings.batchSize === undefined ? {} : { batchSize: settings.batchSize }),
      });
      const chatWrapper = nlc.resolveChatWrapper(model);
      const tokens = model.tokens;
      const bos =
        model.vocabularyType === nlc.LlamaVocabularyType.wpm ||
        (model.vocabularyType !== nlc.LlamaVocabularyType.rwkv &&
          model.vocabularyType !== nlc.LlamaVocabularyType.ugm &&
          tokens.shouldPrependBosToken)
          ? (tokens.bos ?? undefined)
          : undefined;
      // The token list node-llama-cpp read from the GGUF header (0 if absent: logit_bias is then refused).
      const vocabularySize = model.fileInfo.metadata.tokenizer?.ggml?.tokens?.length ?? 0;
      return new LlmEngine(llama, model, context, chatWrapper, bos, vocabularySize, deferred);
    } catch (e) {
      // llama.cpp reports the reason through the log callback, just after the promise rejects.
      await new Promise((r) => setTimeout(r, 20));
      await model?.dispose().catch(() => {});
      await llama.dispose().catch(() => {});
      const detail = recent.length > 0 ? `: ${recent.join('; ')}` : '';
      throw new InferenceError(
        'INVALID_ARG',
        `failed to load GGUF model '${settings.modelFile}': ${(e as Error).message}${detail}`,
      );
    }
  }

  /** Context size of each sequence, in tokens, as allocated. */
  get contextSize(): number {
    return this.context.contextSize;
  }

  private render(request: GenerationRequest): RenderedPrompt {
    if (request.chat === undefined) {
      const tokens = this.model.tokenize(
        request.prompt ?? '',
        false,
        this.bosToken === undefined ? undefined : 'trimLeadingSpace',
      );
      return { tokens, stopTriggers: [] };
    }
    const state = this.chatWrapper.generateContextState({ chatHistory: toHistory(request.chat) });
    const tokens = state.contextText.tokenize(this.model.tokenizer);
    // The rendered chat starts with BOS; the completion adds its own.
    if (this.bosToken !== undefined && tokens[0] === this.bosToken) tokens.shift();
    return { tokens, stopTriggers: state.stopGenerationTriggers };
  }

  /** The grammar of `guided_decoding`; a schema node-llama-cpp cannot compile is INVALID_ARG. */
  private async grammarFor(guided: GuidedDecoding | undefined): Promise<LlamaGrammar | undefined> {
    if (guided === undefined) return undefined;
    if (guided.kind === 'json_object') {
      this.jsonGrammar ??= this.llama.getGrammarFor('json');
      return this.jsonGrammar;
    }
    try {
      // The schema was checked against node-llama-cpp's subset (json-schema-subset.ts).
      return await this.llama.createGrammarForJsonSchema(guided.schema as never);
    } catch (e) {
      throw invalidArg(`sampling_parameters: guided_decoding.json cannot be compiled: ${(e as Error).message}`);
    }
  }

  private async tokenBias(bias: ReadonlyMap<number, number> | undefined): Promise<TokenBias | undefined> {
    if (bias === undefined) return undefined;
    const nlc = await nodeLlamaCpp();
    const tokenBias = new nlc.TokenBias(this.model.tokenizer);
    for (const [id, value] of bias) {
      if (id >= this.vocabularySize) {
        throw invalidArg(
          `sampling_parameters: 'logit_bias' names token ${id}, but the vocabulary has ${this.vocabularySize} tokens`,
        );
      }
      // An added logit, as OpenAI's logit_bias (end-of-generation tokens are left alone by node-llama-cpp).
      tokenBias.set(id as Token, { logit: value });
    }
    return tokenBias;
  }

  /**
   * Generates on a free sequence of the context (the caller guarantees one is free), calling
   * `onChunk` with each new piece of text when given. Resolves with finish reason "cancelled"
   * when `signal` aborts mid-generation; the sequence is free again when this resolves.
   */
  async generate(
    request: GenerationRequest,
    signal: AbortSignal,
    onChunk: ((chunk: GeneratedChunk) => void) | undefined,
  ): Promise<GenerationResult> {
    const { LlamaCompletion } = await nodeLlamaCpp();
    const prompt = this.render(request);
    const inputTokens = prompt.tokens.length + (this.bosToken === undefined ? 0 : 1);
    if (inputTokens >= this.context.contextSize) {
      throw new InferenceError(
        'INVALID_ARG',
        `the prompt has ${inputTokens} tokens; it must be shorter than the context size ${this.context.contextSize}`,
      );
    }
    const s = request.sampling;
    const grammar = await this.grammarFor(s.guidedDecoding);
    const tokenBias = await this.tokenBias(s.logitBias);
    const sequence = this.context.getSequence();
    const recorder = s.logprobs === undefined ? undefined : new LogprobRecorder(this.model, s.logprobs);
    if (recorder !== undefined) recordProbabilities(sequence, recorder);
    const completion = new LlamaCompletion({ contextSequence: sequence });
    let outputTokens = 0;
    /** ignore_eos: the tokens of the current completion, carried into the next one. */
    const generatedTokens: Token[] = [];
    const allLogprobs: TokenLogprob[] = [];
    let chunkLogprobs: TokenLogprob[] | undefined;
    const key = {}; // this generation, in the deferred chunks
    try {
      const penalize = s.repetitionPenalty !== 1 || s.presencePenalty !== 0 || s.frequencyPenalty !== 0;
      const options: LlamaCompletionGenerationOptions = {
        signal,
        stopOnAbortSignal: true,
        maxTokens: s.maxTokens,
        temperature: s.temperature,
        topK: s.topK,
        topP: s.topP,
        minP: s.minP,
        ...(s.seed === undefined ? {} : { seed: s.seed }),
        // node-llama-cpp penalizes repeats (1.1) unless told not to; vLLM's default is off.
        repeatPenalty: penalize
          ? { penalty: s.repetitionPenalty, presencePenalty: s.presencePenalty, frequencyPenalty: s.frequencyPenalty }
          : false,
        customStopTriggers: [...s.stop, ...prompt.stopTriggers],
        ...(grammar === undefined ? {} : { grammar }),
        ...(tokenBias === undefined ? {} : { tokenBias }),
        // onToken and onTextChunk are called one after the other for the same released tokens.
        onToken: (tokens) => {
          outputTokens += tokens.length;
          if (s.ignoreEos) generatedTokens.push(...tokens);
          if (recorder !== undefined) {
            chunkLogprobs = recorder.take(tokens);
            if (onChunk === undefined) allLogprobs.push(...chunkLogprobs);
          }
        },
        ...(onChunk === undefined
          ? {}
          : {
              onTextChunk: (text: string) => {
                const chunk = chunkLogprobs === undefined ? { text } : { text, logprobs: chunkLogprobs };
                chunkLogprobs = undefined;
                this.deferred.push(key, chunk, onChunk);
              },
            }),
      };
      // ignore_eos: node-llama-cpp ends a completion at an end-of-generation token (and ignores
      // token biases on them), so generation continues with a new completion over the same
      // sequence: its input is the prompt, everything generated so far and that token, whose
      // evaluated prefix the sequence keeps (only the new tokens are decoded).
      let result = await completion.generateCompletionWithMeta(prompt.tokens, options);
      if (s.ignoreEos) {
        const eog = this.model.tokens.eos ?? this.model.tokens.eot;
        const generated: Token[] = [];
        let text = result.response;
        while (
          result.metadata.stopReason === 'eogToken' &&
          eog !== null &&
          outputTokens < s.maxTokens &&
          !signal.aborted
        ) {
          generated.push(...generatedTokens.splice(0), eog);
          outputTokens += 1; // the end-of-generation token counts, as in vLLM
          if (outputTokens >= s.maxTokens) break;
          result = await completion.generateCompletionWithMeta([...prompt.tokens, ...generated], {
            ...options,
            maxTokens: s.maxTokens - outputTokens,
          });
          text += result.response;
        }
        result = { ...result, response: text };
      }
      const reason = result.metadata.stopReason;
      // With ignore_eos, an end-of-generation token only ends the text at max_tokens.
      const length = reason === 'maxTokens' || (s.ignoreEos === true && reason === 'eogToken');
      return {
        text: result.response,
        finishReason: length ? 'length' : reason === 'abort' ? 'cancelled' : 'stop',
        inputTokens,
        outputTokens,
        ...(recorder !== undefined && onChunk === undefined ? { logprobs: allLogprobs } : {}),
      };
    } finally {
      this.deferred.flushOne(key); // the last text goes before the final response
      completion.dispose();
      await sequence.dispose();
    }
  }

  /** Frees the context, the model and the runtime. */
  async dispose(): Promise<void> {
    await this.context.dispose();
    await this.model.dispose();
    await this.llama.dispose();
  }
}
