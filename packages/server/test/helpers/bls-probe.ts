/**
 * Drives `bls_probe` (see bls-models.ts) over HTTP or gRPC: sends a plan, returns what its calls
 * answered, or the error the client got.
 */
import { grpc, unary } from './grpc-client.js';
import { raw, range, values } from './tensors.js';
import type { TestServer } from './servers.js';

/** What one call of the probe got back (as the probe describes it). */
export interface Described {
  model: string;
  version: string;
  id: string;
  final: boolean;
  error: { code: string; message: string; name: string } | null;
  parameters: Record<string, unknown>;
  outputs: Record<string, { datatype: string; shape: number[]; data: unknown[] }>;
}

/** The probe answered (its calls' responses), or the client got an error. */
export type Outcome =
  | { readonly ok: true; readonly responses: Described[] }
  | { readonly ok: false; readonly status: number; readonly message: string };

/** What the probe does: one call (default), a stream, n calls at once, ... (see bls-models.ts). */
export interface Plan {
  mode?: 'infer' | 'stream' | 'parallel' | 'return-error' | 'spin';
  n?: number;
  unbound?: boolean;
  /** Milliseconds the probe waits before it calls. */
  delayMs?: number;
  /** The call's options, less inputs. */
  call: Record<string, unknown>;
  /** `{ from: 'INPUT0', as?: 'X' }` passes the probe's own input through; anything else is sent as is. */
  inputs?: Array<Record<string, unknown>>;
}

export type Protocol = 'http' | 'grpc';

/** The probe's own INPUT0 and INPUT1, which plans may pass through. */
export const A = range(16);
export const B = new Array<number>(16).fill(3);

/** Sends `plan` to `bls_probe`; `client` is a gRPC client for the gRPC protocol. */
export async function probe(
  s: TestServer,
  client: Record<string, any>,
  protocol: Protocol,
  plan: Plan,
  options: { id?: string; signal?: AbortSignal; onCall?: (call: grpc.ClientUnaryCall) => void } = {},
): Promise<Outcome> {
  const json = JSON.stringify(plan);
  const id = options.id ?? '';
  if (protocol === 'http') {
    let r: Response;
    try {
      r = await fetch(`${s.http}/v2/models/bls_probe/infer`, {
        method: 'POST',
        body: JSON.stringify({
          id,
          inputs: [
            { name: 'PLAN', datatype: 'BYTES', shape: [1], data: [json] },
            { name: 'INPUT0', datatype: 'INT32', shape: [1, 16], data: A },
            { name: 'INPUT1', datatype: 'INT32', shape: [1, 16], data: B },
          ],
        }),
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } catch (e) {
      return { ok: false, status: 0, message: (e as Error).message };
    }
    const body = (await r.json()) as { error?: string; outputs?: Array<{ data: string[] }> };
    if (r.status !== 200) return { ok: false, status: r.status, message: body.error ?? '' };
    return { ok: true, ...(JSON.parse(body.outputs![0]!.data[0]!) as { responses: Described[] }) };
  }
  const request = {
    model_name: 'bls_probe',
    id,
    inputs: [
      { name: 'PLAN', datatype: 'BYTES', shape: [1] },
      { name: 'INPUT0', datatype: 'INT32', shape: [1, 16] },
      { name: 'INPUT1', datatype: 'INT32', shape: [1, 16] },
    ],
    raw_input_contents: [raw('BYTES', [json]), raw('INT32', A), raw('INT32', B)],
  };
  try {
    let res: Record<string, any>;
    if (options.onCall) {
      res = await new Promise((resolve, reject) => {
        const call = client['ModelInfer'](request, (err: grpc.ServiceError | null, r: Record<string, any>) =>
          err ? reject(err) : resolve(r),
        );
        options.onCall!(call);
      });
    } else {
      res = await unary(client, 'ModelInfer', request);
    }
    const text = values('BYTES', res['raw_output_contents'][0])[0] as string;
    return { ok: true, ...(JSON.parse(text) as { responses: Described[] }) };
  } catch (e) {
    const err = e as grpc.ServiceError;
    return { ok: false, status: err.code, message: err.details };
  }
}

/** The one response of a plan that must have succeeded. */
export function only(outcome: Outcome): Described {
  if (!outcome.ok) throw new Error(`the probe failed: ${outcome.status} ${outcome.message}`);
  if (outcome.responses.length !== 1) throw new Error(`expected one response, got ${outcome.responses.length}`);
  return outcome.responses[0]!;
}
