/**
 * The data flow of an ensemble, checked from its config alone (Triton's
 * `ValidateEnsembleSchedulingConfig`, with its messages): every step names a model and maps
 * inputs and outputs, an ensemble tensor is written by one step at most, every ensemble input is
 * used, every ensemble output is written, and no tensor is left unused. tensorgate also refuses
 * a cycle between steps by name, where Triton reports its tensors as "not written" or "unused".
 *
 * What needs the composing models' configs (their inputs, datatypes, shapes, decoupled steps) is
 * checked at load in `ensemble-composition.ts`.
 */
import type { ModelConfig } from '../config/model-config.js';
import { invalidArg } from '../errors.js';
import { ensembleSteps, type EnsembleStep } from './ensemble-steps.js';

/**
 * Validates the data flow of an ensemble config (called by config validation for every config
 * with `ensemble_scheduling`).
 *
 * @throws InferenceError INVALID_ARG naming the step or tensor at fault; UNSUPPORTED for
 * `ensemble_scheduling` fields tensorgate does not implement
 * @example
 * ```ts
 * validateEnsembleGraph(config); // throws "ensemble tensor 'tmp' is unused in ensemble 'pipeline'"
 * ```
 */
export function validateEnsembleGraph(config: ModelConfig): void {
  const name = config.name;
  const steps = ensembleSteps(config);
  if (steps.length === 0) throw invalidArg(`must specify 'step' for ensemble '${name}'`);
  const inputs = new Set(config.input.map((i) => i.name));
  const producer = new Map<string, number>();
  for (const step of steps) {
    const where = `in step ${step.index} of ensemble '${name}'`;
    if (step.modelName === '') throw invalidArg(`must specify 'model_name' ${where}`);
    if (step.inputs.length === 0) throw invalidArg(`must specify 'input_map' ${where}`);
    if (step.outputs.length === 0) throw invalidArg(`must specify 'output_map' ${where}`);
    for (const [, tensor] of step.outputs) {
      if (producer.has(tensor)) {
        throw invalidArg(
          `ensemble tensor '${tensor}' can appear in an output map only once for ensemble '${name}' step ${step.index}`,
        );
      }
      if (inputs.has(tensor)) {
        throw invalidArg(
          `ensemble tensor '${tensor}' is an input of ensemble '${name}' and cannot also be written by step ${step.index}`,
        );
      }
      producer.set(tensor, step.index);
    }
  }
  checkAcyclic(name, steps, producer);
  checkDataFlow(config, steps);
}

/** Ensemble tensor → indexes of the steps that read it. */
function consumersOf(steps: readonly EnsembleStep[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const step of steps) {
    for (const [, tensor] of step.inputs) {
      const list = out.get(tensor) ?? [];
      if (!list.includes(step.index)) list.push(step.index);
      out.set(tensor, list);
    }
  }
  return out;
}

/** Refuses a cycle between steps, naming it: step → tensor → step → ... → the first step. */
function checkAcyclic(name: string, steps: readonly EnsembleStep[], producer: ReadonlyMap<string, number>): void {
  // Depth-first search over "step reads a tensor another step writes"; colors: 0 new, 1 on the
  // current path, 2 done. Iterative, so a long chain of steps cannot overflow the stack.
  const color = new Array<number>(steps.length).fill(0);
  const via = new Array<string>(steps.length).fill('');
  const parent = new Array<number>(steps.length).fill(-1);
  for (const root of steps) {
    if (color[root.index] !== 0) continue;
    const stack: Array<{ step: number; next: number }> = [{ step: root.index, next: 0 }];
    color[root.index] = 1;
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const inputs = steps[top.step]!.inputs;
      if (top.next >= inputs.length) {
        color[top.step] = 2;
        stack.pop();
        continue;
      }
      const tensor = inputs[top.next++]![1];
      const from = producer.get(tensor);
      if (from === undefined || color[from] === 2) continue;
      if (color[from] === 1) throw invalidArg(cycleMessage(name, steps, parent, via, top.step, from, tensor));
      color[from] = 1;
      parent[from] = top.step;
      via[from] = tensor;
      stack.push({ step: from, next: 0 });
    }
  }
}

function cycleMessage(
  name: string,
  steps: readonly EnsembleStep[],
  parent: readonly number[],
  via: readonly string[],
  reader: number,
  writer: number,
  tensor: string,
): string {
  // Data flows writer -(tensor)-> reader, then from each step on the search path to its parent (the
  // step that reads what it writes), back up to the writer.
  const label = (i: number): string => `step ${i} ('${steps[i]!.modelName}')`;
  const parts = [label(writer), `tensor '${tensor}'`, label(reader)];
  for (let at = reader; at !== writer; at = parent[at]!) {
    parts.push(`tensor '${via[at]!}'`, label(parent[at]!));
  }
  return `ensemble '${name}' has a cycle between its steps: ${parts.join(' -> ')}`;
}

/** Triton's data-flow check: inputs used, outputs written, no unused tensor. */
function checkDataFlow(config: ModelConfig, steps: readonly EnsembleStep[]): void {
  const name = config.name;
  // A tensor is ready once written by an ensemble input or by a step whose inputs are all ready.
  const consumers = consumersOf(steps);
  const known = new Set<string>();
  for (const s of steps) for (const [, t] of [...s.inputs, ...s.outputs]) known.add(t);
  const ready = new Set<string>();
  const queue: string[] = [];
  for (const input of config.input) {
    if (!known.has(input.name)) throw invalidArg(`ensemble input '${input.name}' for ensemble '${name}' is not used`);
    ready.add(input.name);
    queue.push(input.name);
  }
  for (let i = 0; i < queue.length; i++) {
    for (const s of consumers.get(queue[i]!) ?? []) {
      const step = steps[s]!;
      if (!step.inputs.every(([, t]) => ready.has(t))) continue;
      for (const [, t] of step.outputs) {
        if (ready.has(t)) continue;
        ready.add(t);
        queue.push(t);
      }
    }
  }
  const outputs = new Set<string>();
  for (const output of config.output) {
    if (!known.has(output.name))
      throw invalidArg(`ensemble output '${output.name}' for ensemble '${name}' is not used`);
    if (!ready.has(output.name)) throw invalidArg(notWritten(name, output.name, steps, ready));
    outputs.add(output.name);
  }
  for (const t of known) {
    if (outputs.has(t)) continue;
    if (!ready.has(t) || (consumers.get(t)?.length ?? 0) === 0) {
      throw invalidArg(`ensemble tensor '${t}' is unused in ensemble '${name}'`);
    }
  }
}

/** "output 'Y' ... is not written", naming the first tensor up its chain that nothing writes. */
function notWritten(name: string, output: string, steps: readonly EnsembleStep[], ready: ReadonlySet<string>): string {
  const writer = new Map<string, EnsembleStep>();
  for (const s of steps) for (const [, t] of s.outputs) writer.set(t, s);
  let last = output;
  const seen = new Set<string>([output]);
  for (;;) {
    const step = writer.get(last);
    const next = step?.inputs.map(([, t]) => t).find((t) => !ready.has(t) && !seen.has(t));
    if (next === undefined) break;
    seen.add(next);
    last = next;
  }
  const message = `output '${output}' for ensemble '${name}' is not written`;
  return last === output ? message : `${message}: at least one of its depending tensors, '${last}', is not connected`;
}

/**
 * The steps in an order where each runs after every step that writes one of its inputs (Kahn's
 * algorithm, ties by config order). For a validated ensemble, every step appears once.
 *
 * @example
 * ```ts
 * topologicalOrder(ensembleSteps(config)); // [0, 2, 1]
 * ```
 */
export function topologicalOrder(steps: readonly EnsembleStep[]): number[] {
  const writer = new Map<string, number>();
  for (const s of steps) for (const [, t] of s.outputs) writer.set(t, s.index);
  const waiting = steps.map((s) => new Set(s.inputs.map(([, t]) => writer.get(t)).filter((w) => w !== undefined)));
  const order: number[] = [];
  const done = new Set<number>();
  while (order.length < steps.length) {
    const next = steps.findIndex((_, i) => !done.has(i) && [...waiting[i]!].every((w) => done.has(w)));
    if (next < 0) break;
    done.add(next);
    order.push(next);
  }
  return order;
}
