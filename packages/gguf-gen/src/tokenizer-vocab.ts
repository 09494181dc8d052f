/**
 * The tiny model's vocabulary: a SentencePiece-style ("llama") tokenizer with byte fallback, so
 * any text tokenizes, and a ChatML chat template.
 */
import { LlamaTokenType, type LlamaTokenTypeId } from './gguf-types.js';

/** A vocabulary as GGUF stores it: parallel arrays indexed by token id. */
export interface TinyVocab {
  readonly tokens: readonly string[];
  readonly types: readonly LlamaTokenTypeId[];
  readonly scores: readonly number[];
  readonly special: {
    readonly unk: number;
    readonly bos: number;
    readonly eos: number;
    readonly imStart: number;
    readonly imEnd: number;
  };
}

/** The piece SentencePiece uses for a space (U+2581). */
export const SPM_SPACE = '\u2581';

/**
 * Builds the vocabulary: 0 `<unk>`, 1 `<s>`, 2 `</s>`, 3 `<|im_start|>`, 4 `<|im_end|>`, then the
 * 256 byte tokens `<0x00>`…`<0xFF>` (llama.cpp requires all of them for byte fallback), then
 * U+2581 and printable ASCII as one-character pieces. 356 tokens.
 *
 * @example
 * ```ts
 * buildVocab().tokens.length === 356;
 * ```
 */
export function buildVocab(): TinyVocab {
  const tokens: string[] = [];
  const types: LlamaTokenTypeId[] = [];
  const add = (text: string, type: LlamaTokenTypeId): void => {
    tokens.push(text);
    types.push(type);
  };
  add('<unk>', LlamaTokenType.UNKNOWN);
  add('<s>', LlamaTokenType.CONTROL);
  add('</s>', LlamaTokenType.CONTROL);
  add('<|im_start|>', LlamaTokenType.CONTROL);
  add('<|im_end|>', LlamaTokenType.CONTROL);
  for (let b = 0; b < 256; b++) add(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`, LlamaTokenType.BYTE);
  add(SPM_SPACE, LlamaTokenType.NORMAL);
  for (let c = 0x21; c <= 0x7e; c++) add(String.fromCharCode(c), LlamaTokenType.NORMAL);
  // Scores only rank merges; one-character pieces never merge, so any distinct values do.
  const scores = tokens.map((_, i) => (types[i] === LlamaTokenType.NORMAL ? -i : 0));
  return { tokens, types, scores, special: { unk: 0, bos: 1, eos: 2, imStart: 3, imEnd: 4 } };
}

/** A ChatML Jinja template; node-llama-cpp recognises it and uses its ChatML chat wrapper. */
export const CHATML_TEMPLATE =
  '{% for message in messages %}' +
  "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}" +
  '{% endfor %}' +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
