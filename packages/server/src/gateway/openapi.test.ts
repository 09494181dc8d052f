import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { gatewayCorsOptions, parseCorsOrigins } from './cors.js';
import { buildOpenApi } from './openapi.js';
import { validateRoutes } from './route-file.js';
import { encodeSseEvent } from './sse.js';

const file = validateRoutes(
  {
    title: 'T',
    routes: [
      {
        path: '/chat',
        model: 'llm',
        mode: 'stream',
        inputs: {
          text_input: { from: '$.messages[0].content', datatype: 'BYTES', shape: [1] },
          params: { from: '$.options.sampling', datatype: 'BYTES', shape: [1], default: {} },
          seed: { from: '$.options.seed', datatype: 'INT64', shape: [1], optional: true },
          stream: { value: true, datatype: 'BOOL', shape: [1] },
          series: { from: '$.series', datatype: 'FP32', shape: [-1, 10] },
        },
        outputs: { text: 'text_output', top: { tensor: 'p', topK: 2 }, best: { tensor: 'p', argmax: true } },
      },
    ],
  },
  { file: 't' },
);

describe('OpenAPI document', () => {
  test('request schema follows the input paths; defaults and optional inputs are not required', () => {
    const doc = buildOpenApi(file, '1.2.3');
    assert.deepEqual(doc.info['version'], '1.2.3');
    const op = (doc.paths['/chat'] as any).post;
    const schema = op.requestBody.content['application/json'].schema;
    assert.deepEqual(schema.required, ['messages', 'series']);
    assert.equal(schema.properties.messages.type, 'object', 'array positions are documented on the field');
    assert.deepEqual(schema.properties.messages.required, ['content']);
    assert.equal(schema.properties.messages.properties.content.type, 'string');
    assert.equal(schema.properties.options.required, undefined);
    assert.deepEqual(schema.properties.options.properties.sampling.default, {});
    assert.ok(schema.properties.options.properties.seed.oneOf, 'INT64 accepts integers and decimal strings');
    assert.equal(schema.properties.series.type, 'array');
    assert.equal(schema.properties.series.items.type, 'number');
    assert.equal(schema.properties.stream, undefined, 'constants are not part of the body');
    assert.ok(op.responses['200'].content['text/event-stream']);
    assert.equal(op.operationId, 'chat');
    // Every $ref points at a defined component.
    const refs = JSON.stringify(doc).match(/#\/components\/schemas\/\w+/g) ?? [];
    for (const ref of refs) assert.ok((doc.components['schemas'] as any)[ref.split('/').pop()!], ref);
  });

  test('reply schema per output mapping', () => {
    const unary = validateRoutes(
      {
        routes: [
          {
            path: '/p',
            model: 'm',
            inputs: { x: { from: '$', datatype: 'FP32' } },
            outputs: { text: 'T', top: { tensor: 'p', topK: 2 }, best: { tensor: 'p', argmax: true } },
          },
        ],
      },
      { file: 't' },
    );
    const reply = (buildOpenApi(unary).paths['/p'] as any).post.responses['200'].content['application/json'].schema;
    assert.deepEqual(reply.required, ['text', 'top', 'best']);
    assert.equal(reply.properties.top.items.$ref, '#/components/schemas/ClassScore');
    assert.ok(reply.properties.best.oneOf);
  });
});

describe('CORS and SSE helpers', () => {
  test('gatewayCorsOptions and parseCorsOrigins', () => {
    assert.equal(gatewayCorsOptions([]), undefined);
    assert.equal(gatewayCorsOptions(['https://a', '*'])?.origin, '*');
    const list = gatewayCorsOptions(['https://a', 'https://b']);
    assert.deepEqual(list?.origin, ['https://a', 'https://b']);
    assert.deepEqual(list?.methods, ['GET', 'POST', 'OPTIONS']);
    assert.equal(list?.maxAge, 600);
    assert.deepEqual(parseCorsOrigins(' https://a , ,https://b'), ['https://a', 'https://b']);
  });

  test('encodeSseEvent', () => {
    assert.equal(encodeSseEvent({ a: 'x\ny' }), 'data: {"a":"x\\ny"}\n\n');
    assert.equal(encodeSseEvent({}, 'done'), 'event: done\ndata: {}\n\n');
  });
});
