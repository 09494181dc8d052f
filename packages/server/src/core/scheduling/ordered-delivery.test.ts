import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { BackendResponse } from '../../backend-api/backend.js';
import { InferenceError } from '../errors.js';
import { OrderedDelivery } from './ordered-delivery.js';
import type { SchedulerJob } from './scheduler.js';
import { testJob } from './test-job.test-helper.js';

const T = { computeInputNs: 0, computeInferNs: 0, computeOutputNs: 0 };
const out = (v: string): BackendResponse => ({ outputs: [], parameters: { v } });

function job(id: string, log: string[]): SchedulerJob {
  return testJob(id, {
    send: (r, f) => log.push(`${id} ${r ? String(r.parameters?.['v']) : '-'}${f.final ? ' final' : ''}`),
    onExecuted: (r) => log.push(`${id} executed${'error' in r ? ' ' + r.error.code : ''}`),
  });
}

describe('OrderedDelivery', () => {
  test('a later request that finishes first waits for the earlier one', () => {
    const log: string[] = [];
    const o = new OrderedDelivery();
    const a = o.admit(job('a', log));
    const b = o.admit(job('b', log));
    assert.notEqual(a.request.sender, b.request.sender);
    b.request.sender.send(out('b1'), { final: true });
    b.onExecuted({ timings: T });
    assert.deepEqual(log, []);
    a.request.sender.send(out('a1'), { final: true });
    assert.deepEqual(log, ['a a1 final']);
    a.onExecuted({ timings: T });
    assert.deepEqual(log, ['a a1 final', 'a executed', 'b b1 final', 'b executed']);
    assert.equal(o.pending, 0);
  });

  test('the oldest request streams freely (decoupled); the next one is held until it completes', () => {
    const log: string[] = [];
    const o = new OrderedDelivery();
    const a = o.admit(job('a', log));
    const b = o.admit(job('b', log));
    a.request.sender.send(out('a1'), { final: false });
    b.request.sender.send(out('b1'), { final: false });
    a.request.sender.send(out('a2'), { final: false });
    assert.deepEqual(log, ['a a1', 'a a2']);
    a.request.sender.send(undefined, { final: true });
    a.onExecuted({ timings: T });
    // b is the head now: its held response comes out, and new ones pass straight through.
    assert.deepEqual(log.slice(3), ['a executed', 'b b1']);
    b.request.sender.send(out('b2'), { final: true });
    assert.deepEqual(log.slice(5), ['b b2 final']);
  });

  test('a failed execution is reported in order too', () => {
    const log: string[] = [];
    const o = new OrderedDelivery();
    const a = o.admit(job('a', log));
    const b = o.admit(job('b', log));
    b.onExecuted({ error: new InferenceError('INTERNAL', 'boom') });
    assert.deepEqual(log, []);
    a.onExecuted({ timings: T });
    assert.deepEqual(log, ['a executed', 'b executed INTERNAL']);
  });
});
