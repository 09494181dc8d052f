import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { InferenceObserver, RequestEvent } from './observer.js';
import { ObserverHub } from './observer-hub.js';

const REQUEST: RequestEvent = {
  model: 'm',
  version: '1',
  success: true,
  batchSize: 1,
  requestNs: 1,
  queueNs: 0,
  computeInputNs: 0,
  computeInferNs: 0,
  computeOutputNs: 0,
};

test('every event reaches every observer, in order, even when an earlier one throws', () => {
  const seen: string[] = [];
  const boom = (): never => {
    throw new Error('boom');
  };
  const thrower: InferenceObserver = {
    onRequest: boom,
    onExecution: boom,
    onPending: boom,
    onRunning: boom,
    onResponse: boom,
    onVersionReady: boom,
    onVersionUnloaded: boom,
  };
  const recorder: InferenceObserver = {
    onRequest: (e) => seen.push(`request ${e.model}`),
    onExecution: (e) => seen.push(`execution ${e.batchSize}`),
    onPending: (_m, _v, n) => seen.push(`pending ${n}`),
    onRunning: (_m, _v, info) => seen.push(`running ${info.running}`),
    onResponse: (e) => seen.push(`response ${e.final}`),
    onVersionReady: (m) => seen.push(`ready ${m}`),
    onVersionUnloaded: (m) => seen.push(`unloaded ${m}`),
  };
  const hub = new ObserverHub();
  hub.add(thrower);
  hub.add({}); // an observer without handlers is fine
  hub.add(recorder);
  hub.onRequest(REQUEST);
  hub.onExecution({ model: 'm', version: '1', batchSize: 3 });
  hub.onPending('m', '1', 2);
  hub.onRunning('m', '1', { llm: false, running: 1, waiting: 0 });
  hub.onResponse({
    model: 'm',
    version: '1',
    llm: false,
    hasOutputs: true,
    final: true,
    sinceArrivalNs: 1,
    sincePreviousNs: -1,
    parameters: {},
  });
  hub.onVersionReady('m', '1');
  hub.onVersionUnloaded('m', '1');
  assert.deepEqual(seen, [
    'request m',
    'execution 3',
    'pending 2',
    'running 1',
    'response true',
    'ready m',
    'unloaded m',
  ]);
});
