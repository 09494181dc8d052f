/**
 * The real {@link GatewayTransport}: @tensorgate/client's gRPC client for one upstream. Inputs
 * go out as the raw bytes the gateway already encoded (no second conversion); outputs come back
 * decoded from their raw bytes, with 64-bit integers as bigints so no digit is lost before the
 * reply decides how to show them.
 */
import {
  InferInput,
  InferRequestedOutput,
  InferenceClient,
  type InferResult,
  type StreamInferRequest,
} from '@tensorgate/client';
import { decodeElements, viewAs, type DataType } from '@tensorgate/protocol';
import type { GatewayTransport, UpstreamCall } from './gateway-transport.js';
import type { OutputTensor } from './response-shaping.js';

function decodeOutput(o: { name: string; datatype: string; shape: readonly number[]; raw: Uint8Array }): OutputTensor {
  const datatype = o.datatype as DataType;
  const values =
    datatype === 'INT64' || datatype === 'UINT64'
      ? Array.from(viewAs(datatype, o.raw) as BigInt64Array | BigUint64Array)
      : decodeElements(datatype, o.raw);
  return { name: o.name, datatype: o.datatype, shape: o.shape, values };
}

/** The output tensors of one result, in the order the server sent them. */
export function resultOutputs(result: InferResult): OutputTensor[] {
  return result.outputs.map(decodeOutput);
}

function inputsOf(call: UpstreamCall): InferInput[] {
  return call.inputs.map((t) => new InferInput(t.name, t.shape, t.datatype).setRaw(t.raw));
}

function outputsOf(call: UpstreamCall): InferRequestedOutput[] {
  return call.outputs.map(
    (o) => new InferRequestedOutput(o.name, o.classCount !== undefined ? { classCount: o.classCount } : {}),
  );
}

/**
 * Opens a gRPC connection to `address` (`host:port`) for the pool.
 *
 * @example
 * ```ts
 * const pool = new UpstreamPool({ addresses, createTransport: grpcTransport, healthIntervalMs: 2000 });
 * ```
 */
export function grpcTransport(address: string): GatewayTransport {
  // The pool retries on another upstream itself: a refused upstream must fail fast, not be
  // retried in place by the client's transparent retries.
  const client = InferenceClient.grpc(address, { retry: { transparentRetries: 0 } });
  return {
    isServerReady: (timeoutMs) => client.isServerReady({ timeoutMs }),
    async infer(call) {
      const result = await client.infer(call.model, inputsOf(call), {
        outputs: outputsOf(call),
        parameters: call.parameters,
        signal: call.signal,
        ...(call.version !== '' && { modelVersion: call.version }),
        ...(call.timeoutMs !== undefined && { timeoutMs: call.timeoutMs }),
      });
      return resultOutputs(result);
    },
    async *stream(call) {
      const request: StreamInferRequest = {
        model: call.model,
        inputs: inputsOf(call),
        outputs: outputsOf(call),
        parameters: call.parameters,
        // Makes the end of a decoupled model's responses visible as a final flag.
        enableEmptyFinalResponse: true,
        ...(call.version !== '' && { modelVersion: call.version }),
      };
      const responses = client.streamInfer([request], {
        signal: call.signal,
        ...(call.timeoutMs !== undefined && { timeoutMs: call.timeoutMs }),
      });
      for await (const r of responses) {
        if (r.error) throw r.error;
        const outputs = resultOutputs(r.result);
        if (outputs.length > 0) yield outputs;
        if (r.final) return;
      }
    },
    close: () => client.close(),
  };
}
