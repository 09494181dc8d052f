/**
 * Lazy access to node-llama-cpp: importing it costs about 300 ms, which a server without LLM
 * models should not pay at startup. The first LLM load imports it once.
 */

/** The node-llama-cpp module. */
export type NodeLlamaCpp = typeof import('node-llama-cpp');

let module: Promise<NodeLlamaCpp> | undefined;

/**
 * node-llama-cpp, imported on first use.
 *
 * @example
 * ```ts
 * const { getLlama } = await nodeLlamaCpp();
 * ```
 */
export function nodeLlamaCpp(): Promise<NodeLlamaCpp> {
  module ??= import('node-llama-cpp');
  return module;
}
