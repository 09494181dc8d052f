/**
 * Sequence-batched JS models for the sequence batcher's wire tests, written into a temporary
 * repository. Each answers every request with the control values of its whole batch (null
 * requests of empty slots included), so a client sees what the model received.
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Answers each request with BATCH: JSON [[START, END, READY, CORRID, INPUT], ...] of its batch. */
const PROBE_JS = `
export default class Probe {
  execute(requests) {
    const rows = requests.map((r) => [
      r.input('START').data[0],
      r.input('END').data[0],
      r.input('READY').data[0],
      r.input('CORRID').toArray()[0],
      r.input('INPUT').data[0],
    ]);
    const text = JSON.stringify(rows);
    return requests.map(() => ({ outputs: [{ name: 'BATCH', data: [text] }] }));
  }
}
`;

function probeConfig(name: string, maxBatch: number, corrid: string, extra: string): string {
  return `name: "${name}"
backend: "js"
max_batch_size: ${maxBatch}
sequence_batching {
  ${extra}
  control_input [
    { name: "START" control [ { kind: CONTROL_SEQUENCE_START int32_false_true: [ 0, 1 ] } ] },
    { name: "END" control [ { kind: CONTROL_SEQUENCE_END fp32_false_true: [ 0, 1 ] } ] },
    { name: "READY" control [ { kind: CONTROL_SEQUENCE_READY bool_false_true: [ false, true ] } ] },
    { name: "CORRID" control [ { kind: CONTROL_SEQUENCE_CORRID data_type: ${corrid} } ] }
  ]
}
input [ { name: "INPUT" data_type: TYPE_INT32 dims: [ 1 ] } ]
output [ { name: "BATCH" data_type: TYPE_STRING dims: [ 1 ] } ]
instance_group [ { count: 1 kind: KIND_CPU } ]
`;
}

/** The probe models: name → config body inside `sequence_batching` (after the controls' model settings). */
export const SEQUENCE_PROBES: Readonly<Record<string, [maxBatch: number, corrid: string, extra: string]>> = {
  // direct, 4 slots, UINT64 ids
  seq_direct: [4, 'TYPE_UINT64', 'max_sequence_idle_microseconds: 60000000'],
  // direct, one slot (max_batch_size 0), STRING ids: later sequences wait in the backlog
  seq_one: [0, 'TYPE_STRING', 'max_sequence_idle_microseconds: 60000000'],
  // direct, released after 100 ms idle
  seq_idle: [4, 'TYPE_UINT64', 'max_sequence_idle_microseconds: 100000'],
  // oldest: batches of 2 (waiting up to 60 s for the second)
  seq_oldest: [
    2,
    'TYPE_UINT64',
    'max_sequence_idle_microseconds: 60000000 oldest { max_candidate_sequences: 4 preferred_batch_size: [ 2 ] max_queue_delay_microseconds: 60000000 }',
  ],
};

/** Writes the probe models into a fresh temporary repository; returns its path. */
export async function sequenceRepository(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'tensorgate-seq-'));
  for (const [name, [maxBatch, corrid, extra]] of Object.entries(SEQUENCE_PROBES)) {
    await mkdir(join(root, name, '1'), { recursive: true });
    await writeFile(join(root, name, 'config.pbtxt'), probeConfig(name, maxBatch, corrid, extra));
    await writeFile(join(root, name, '1', 'model.js'), PROBE_JS);
  }
  return root;
}
