// Streaming LLM clients for bench/llm-throughput.mjs, one per transport, each giving the same
// per-request record { tokens, ttftMs, gapsMs, finishReason } as the in-process baseline
// (lib/llm-inprocess.mjs), and the closed-loop driver that runs N of them at once.
//
// - SSE: OpenAI `POST /v1/completions` with `stream: true` and `stream_options.include_usage`, read
//   with a small hand-written Server-Sent-Events reader over fetch's body (an SSE library would add
//   a dependency for ~20 lines; the OpenAI frontend only sends `data:` lines). Every event is
//   JSON-parsed, as a real client must to get the text. Tokens come from the usage chunk.
// - gRPC: raw grpc-js ModelStreamInfer (one bidirectional stream per concurrent stream, its requests
//   one after the other) with the contract's tensors, encoded once with our protos; every response
//   is decoded (a client must, to see `triton_final_response` and the text). Tokens come from the
//   final response's `num_output_tokens`.
//
// These run in a child process (see llm-throughput.mjs --child) so the client never shares an
// event loop with the script or the in-process baseline.
import { performance } from 'node:perf_hooks';
import { TextDecoder } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { loadProtoRoot } from '@tensorgate/protocol';

const STREAM_INFER = '/inference.GRPCInferenceService/ModelStreamInfer';

/** A request failure that names the transport's error code (HTTP status, gRPC status or "error event"). */
export class StreamRequestError extends Error {
  constructor(code, message) {
    super(message);
    this.code = String(code);
  }
}

/**
 * Runs `concurrency` workers (`makeWorker(i)` → { request(warm), close? }), each doing `requests`
 * calls back to back after one short warm-up call (`request(true)`: 2 tokens, opens connections;
 * a failing warm-up throws). The clock runs from the first start to the last end. Returns
 * { elapsedMs, tokens, ttftMs: number[], gapsMs: number[], ok, failed, errors: { code: count },
 * firstError, sampleText (the first completed request's text) }.
 */
export async function runStreams(concurrency, requests, makeWorker) {
  const out = { tokens: 0, ttftMs: [], gapsMs: [], ok: 0, failed: 0, errors: {}, firstError: undefined };
  const workers = await Promise.all(Array.from({ length: concurrency }, (_, i) => makeWorker(i)));
  await Promise.all(workers.map((w) => w.request(true)));
  const t0 = performance.now();
  await Promise.all(
    workers.map(async (w) => {
      for (let k = 0; k < requests; k++) {
        try {
          const r = await w.request();
          out.ok++;
          out.tokens += r.tokens;
          out.sampleText ??= r.text;
          if (r.ttftMs !== undefined) out.ttftMs.push(r.ttftMs);
          for (const g of r.gapsMs) out.gapsMs.push(g);
        } catch (e) {
          out.failed++;
          const code = e instanceof StreamRequestError ? e.code : 'exception';
          out.errors[code] = (out.errors[code] ?? 0) + 1;
          out.firstError ??= e.message;
        }
      }
    }),
  );
  out.elapsedMs = performance.now() - t0;
  await Promise.all(workers.map((w) => w.close?.()));
  return out;
}

/** An SSE worker factory against `http://127.0.0.1:${port}` (fetch keeps the connection alive). */
export function sseWorker(port, model, prompt, maxTokens) {
  const url = `http://127.0.0.1:${port}/v1/completions`;
  const bodyOf = (n) =>
    JSON.stringify({
      model,
      prompt,
      max_tokens: n,
      temperature: 0,
      stream: true,
      stream_options: { include_usage: true },
    });
  const [body, warmBody] = [bodyOf(maxTokens), bodyOf(2)];
  const request = async (warm) => {
    const t0 = performance.now();
    const res = await globalThis.fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: warm ? warmBody : body,
    });
    if (res.status !== 200) throw new StreamRequestError(res.status, `HTTP ${res.status}: ${await res.text()}`);
    let ttftMs;
    let last = 0;
    const gapsMs = [];
    let tokens;
    let finishReason;
    let text = '';
    let done = false;
    const decoder = new TextDecoder();
    let buf = '';
    for await (const bytes of res.body) {
      buf += decoder.decode(bytes, { stream: true });
      let end;
      while ((end = buf.indexOf('\n\n')) >= 0) {
        const event = buf.slice(0, end);
        buf = buf.slice(end + 2);
        for (const line of event.split('\n')) {
          if (!line.startsWith('data:')) continue;
          const data = line.slice(5).trimStart();
          if (data === '[DONE]') {
            done = true;
            continue;
          }
          const chunk = JSON.parse(data);
          if (chunk.error) throw new StreamRequestError('error event', chunk.error.message);
          const choice = chunk.choices?.[0];
          if (choice?.text) {
            text += choice.text;
            const now = performance.now();
            if (ttftMs === undefined) ttftMs = now - t0;
            else gapsMs.push(now - last);
            last = now;
          }
          if (choice?.finish_reason) finishReason = choice.finish_reason;
          if (chunk.usage) tokens = chunk.usage.completion_tokens;
        }
      }
    }
    if (!done) throw new StreamRequestError('no [DONE]', 'the event stream ended without data: [DONE]');
    if (tokens === undefined) throw new StreamRequestError('no usage', 'no usage chunk');
    return { tokens, ttftMs, gapsMs, finishReason, text };
  };
  return () => ({ request });
}

/** An int64 field as protobufjs decodes it (a number, or a Long when long.js is present). */
function toNumber(v) {
  if (v === undefined || v === null) return 0;
  return typeof v === 'object' ? Number(v.toString()) : Number(v);
}

/** The contract's BYTES [1] / BOOL [1] raw contents. */
function bytesElement(s) {
  const b = Buffer.from(s, 'utf8');
  const out = Buffer.alloc(4 + b.length);
  out.writeUInt32LE(b.length, 0);
  b.copy(out, 4);
  return out;
}

/** Encodes the ModelStreamInfer request once (stream=true, greedy, max_tokens). */
export function streamInferRequestBytes(model, prompt, maxTokens) {
  const Req = loadProtoRoot().lookupType('inference.ModelInferRequest');
  const msg = Req.fromObject({
    model_name: model,
    inputs: [
      { name: 'text_input', datatype: 'BYTES', shape: [1] },
      { name: 'stream', datatype: 'BOOL', shape: [1] },
      { name: 'sampling_parameters', datatype: 'BYTES', shape: [1] },
      { name: 'exclude_input_in_output', datatype: 'BOOL', shape: [1] },
    ],
    // Every request ends with a response flagged triton_final_response, even an empty one.
    parameters: { triton_enable_empty_final_response: { bool_param: true } },
    raw_input_contents: [
      bytesElement(prompt),
      Buffer.from([1]),
      bytesElement(JSON.stringify({ max_tokens: maxTokens, temperature: 0 })),
      Buffer.from([1]),
    ],
  });
  return Buffer.from(Req.encode(msg).finish());
}

/** A gRPC worker factory: each worker owns one ModelStreamInfer stream on a shared channel. */
export function grpcWorkerFactory(port, model, prompt, maxTokens) {
  const body = streamInferRequestBytes(model, prompt, maxTokens);
  const warmBody = streamInferRequestBytes(model, prompt, 2);
  const Res = loadProtoRoot().lookupType('inference.ModelStreamInferResponse');
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
    'grpc.max_receive_message_length': -1,
  });
  const ready = new Promise((res, rej) => client.waitForReady(Date.now() + 10_000, (e) => (e ? rej(e) : res())));
  const factory = async () => {
    await ready;
    const call = client.makeBidiStreamRequest(
      STREAM_INFER,
      (b) => b,
      (b) => Res.decode(b),
    );
    let pending;
    call.on('data', (m) => pending?.onData(m));
    call.on('error', (e) => pending?.onError(new StreamRequestError(grpc.status[e.code] ?? e.code, e.details)));
    const request = (warm) =>
      new Promise((resolve, reject) => {
        const t0 = performance.now();
        let text = '';
        let ttftMs;
        let last = 0;
        const gapsMs = [];
        pending = {
          onError: reject,
          onData: (m) => {
            if (m.error_message) {
              pending = undefined;
              return reject(new StreamRequestError('error_message', m.error_message));
            }
            const r = m.infer_response;
            const raw = r.raw_output_contents?.[0];
            // A text chunk: a BYTES [1] element with a non-empty string (4-byte length + text).
            if (raw && raw.length > 4 && raw.readUInt32LE(0) > 0) {
              text += raw.toString('utf8', 4, 4 + raw.readUInt32LE(0));
              const now = performance.now();
              if (ttftMs === undefined) ttftMs = now - t0;
              else gapsMs.push(now - last);
              last = now;
            }
            const p = r.parameters ?? {};
            if (p.triton_final_response?.bool_param) {
              pending = undefined;
              resolve({
                tokens: toNumber(p.num_output_tokens?.int64_param),
                ttftMs,
                gapsMs,
                finishReason: p.finish_reason?.string_param,
                text,
              });
            }
          },
        };
        call.write(warm ? warmBody : body);
      });
    const close = () =>
      new Promise((resolve) => {
        const timer = setTimeout(resolve, 1000);
        call.on('status', () => {
          clearTimeout(timer);
          resolve();
        });
        call.end();
      });
    return { request, close };
  };
  factory.closeChannel = () => client.close();
  return factory;
}
