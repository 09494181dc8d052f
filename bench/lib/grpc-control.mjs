// A small control-plane client for the bench scripts (model readiness and statistics), built from
// our protos the same way as the wire tests' helper (packages/server/test/helpers/grpc-client.ts).
import * as grpc from '@grpc/grpc-js';
import { loadProtoRoot } from '@tensorgate/protocol';

const SERVICE = 'inference.GRPCInferenceService';

/** Opens a client on 127.0.0.1:port; returns { call(method, request), close() }. */
export function controlClient(port) {
  const svc = loadProtoRoot().lookupService(SERVICE);
  const def = {};
  for (const m of svc.methodsArray) {
    if (m.requestStream || m.responseStream) continue;
    m.resolve();
    const req = m.resolvedRequestType;
    const res = m.resolvedResponseType;
    def[m.name] = {
      path: `/${SERVICE}/${m.name}`,
      requestStream: false,
      responseStream: false,
      requestSerialize: (o) => Buffer.from(req.encode(req.fromObject(o)).finish()),
      responseDeserialize: (b) => res.toObject(res.decode(b), { enums: String, longs: Number, defaults: true }),
    };
  }
  const Ctor = grpc.makeGenericClientConstructor(def, 'GRPCInferenceService');
  const client = new Ctor(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const call = (method, request) =>
    new Promise((resolve, reject) =>
      client[method](request, { deadline: Date.now() + 30_000 }, (err, res) => (err ? reject(err) : resolve(res))),
    );
  return { call, close: () => client.close() };
}

/** Throws unless every named model is ready (the server starts even when a model fails to load). */
export async function assertModelsReady(port, names) {
  const c = controlClient(port);
  try {
    for (const name of names) {
      const { ready } = await c.call('ModelReady', { name });
      if (!ready) throw new Error(`model ${name} is not ready (see the server log above)`);
    }
  } finally {
    c.close();
  }
}

/**
 * Cumulative statistics of a model (all versions summed): request and execution counts and the
 * time spent in each phase, in nanoseconds. Differences of two snapshots describe a measurement.
 */
export async function modelStats(port, name) {
  const c = controlClient(port);
  try {
    const { model_stats: all } = await c.call('ModelStatistics', { name });
    const sum = {
      inferenceCount: 0,
      executionCount: 0,
      success: 0,
      failed: 0,
      queue: 0,
      input: 0,
      infer: 0,
      output: 0,
      requests: 0,
      cacheHits: 0,
      cacheMisses: 0,
    };
    for (const s of all) {
      const st = s.inference_stats ?? {};
      sum.inferenceCount += Number(s.inference_count ?? 0);
      sum.executionCount += Number(s.execution_count ?? 0);
      sum.requests += Number(st.success?.count ?? 0);
      sum.success += Number(st.success?.ns ?? 0);
      sum.failed += Number(st.fail?.count ?? 0);
      sum.queue += Number(st.queue?.ns ?? 0);
      sum.input += Number(st.compute_input?.ns ?? 0);
      sum.infer += Number(st.compute_infer?.ns ?? 0);
      sum.output += Number(st.compute_output?.ns ?? 0);
      sum.cacheHits += Number(st.cache_hit?.count ?? 0);
      sum.cacheMisses += Number(st.cache_miss?.count ?? 0);
    }
    return sum;
  } finally {
    c.close();
  }
}

/** The difference of two modelStats snapshots, with per-request averages in µs and the mean batch size. */
export function statsDelta(before, after) {
  const d = Object.fromEntries(Object.keys(after).map((k) => [k, after[k] - before[k]]));
  const perReqUs = (ns) => (d.requests ? ns / d.requests / 1000 : NaN);
  return {
    requests: d.requests,
    failed: d.failed,
    executions: d.executionCount,
    meanBatch: d.executionCount ? d.inferenceCount / d.executionCount : NaN,
    successUs: perReqUs(d.success),
    queueUs: perReqUs(d.queue),
    inputUs: perReqUs(d.input),
    inferUs: perReqUs(d.infer),
    outputUs: perReqUs(d.output),
  };
}
