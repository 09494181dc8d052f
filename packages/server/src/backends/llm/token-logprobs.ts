/**
 * Log-probabilities of generated tokens, the way OpenAI reports them (`token`, `logprob`, `bytes`,
 * `top_logprobs`). node-llama-cpp's LlamaCompletion does not expose token probabilities, but its
 * context sequence does (`evaluateWithMetadata(..., {probabilities: true})`), and LlamaCompletion
 * drives generation through that sequence's `evaluate`. {@link recordProbabilities} replaces
 * `evaluate` on the one sequence a request owns with the same evaluation plus probabilities, so
 * LlamaCompletion keeps doing what it is good at (stop triggers, partial UTF-8, grammars, context
 * shift) and this module only writes the probabilities down. The e2e test of chat logprobs
 * (test/e2e/openai-features.test.ts) fails should a node-llama-cpp upgrade stop calling `evaluate`.
 *
 * The probabilities are those of llama.cpp's sampler chain after the request's sampling settings
 * (temperature, top-k, top-p, min-p, logit bias, grammar): with temperature 0 the model's full
 * softmax; sampled, the distribution the token was actually drawn from.
 */
import type { LlamaContextSequence, LlamaModel, Token } from 'node-llama-cpp';

/** One alternative token and its log-probability. */
export interface TopLogprob {
  readonly token: string;
  readonly logprob: number;
  readonly bytes: number[];
}

/** One generated token with its log-probability and the most likely alternatives. */
export interface TokenLogprob extends TopLogprob {
  readonly top_logprobs: TopLogprob[];
}

/** OpenAI's stand-in for log(0) (JSON has no -Infinity). */
const LOG_ZERO = -9999;

interface Evaluated {
  readonly token: Token;
  readonly probabilities: Map<Token, number>;
}

/** Collects the probabilities of one generation and turns released tokens into {@link TokenLogprob}s. */
export class LogprobRecorder {
  private readonly pending: Evaluated[] = [];

  constructor(
    private readonly model: LlamaModel,
    /** Alternatives per token (0..20). */
    private readonly top: number,
  ) {}

  /** Called for each token the sequence evaluates (including ones later cut by a stop trigger). */
  record(token: Token, probabilities: Map<Token, number>): void {
    this.pending.push({ token, probabilities });
  }

  /**
   * The log-probabilities of tokens LlamaCompletion released as output, in order. Evaluated
   * tokens that never became output (a held-back stop trigger) are skipped.
   */
  take(tokens: readonly Token[]): TokenLogprob[] {
    const out: TokenLogprob[] = [];
    for (const token of tokens) {
      let entry = this.pending.shift();
      while (entry !== undefined && entry.token !== token) entry = this.pending.shift();
      out.push(this.describe(token, entry?.probabilities));
    }
    return out;
  }

  private describe(token: Token, probabilities: Map<Token, number> | undefined): TokenLogprob {
    const alternatives: TopLogprob[] = [];
    if (probabilities !== undefined) {
      // The map is sorted by probability, highest first (node-llama-cpp's contract).
      for (const [t, p] of probabilities) {
        if (alternatives.length >= this.top) break;
        alternatives.push(this.entry(t, p));
      }
    }
    return { ...this.entry(token, probabilities?.get(token) ?? 0), top_logprobs: alternatives };
  }

  private entry(token: Token, p: number): TopLogprob {
    const text = this.model.detokenize([token], true);
    return {
      token: text,
      logprob: p > 0 ? Math.log(p) : LOG_ZERO,
      bytes: [...Buffer.from(text, 'utf8')],
    };
  }
}

/**
 * Makes `sequence.evaluate` also compute next-token probabilities and hand them to `recorder`.
 * Only for a sequence owned by one request (it is disposed after it).
 *
 * @example
 * ```ts
 * const recorder = new LogprobRecorder(model, 5);
 * recordProbabilities(sequence, recorder);
 * await completion.generateCompletionWithMeta(tokens, { onToken: (t) => send(recorder.take(t)) });
 * ```
 */
export function recordProbabilities(sequence: LlamaContextSequence, recorder: LogprobRecorder): void {
  const withMetadata = sequence.evaluateWithMetadata.bind(sequence);
  const evaluate: LlamaContextSequence['evaluate'] = async function* (tokens, options) {
    for await (const out of withMetadata(tokens, { probabilities: true }, options)) {
      recorder.record(out.token, out.probabilities);
      yield out.token;
    }
  };
  Object.defineProperty(sequence, 'evaluate', { value: evaluate, configurable: true });
}
