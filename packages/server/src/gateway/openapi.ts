/**
 * OpenAPI 3.0 document of a gateway, generated from its routes so the description can never drift
 * from what is served: one POST operation per route (request body from the input mappings,
 * reply from the output mappings, the error replies), plus `/health`.
 */
import type { DataType } from '@tensorgate/protocol';
import type { PathSegment } from './json-path.js';
import type { InputMapping, OutputMapping, RouteSpec, RoutesFile } from './route-types.js';

/** A JSON schema object (OpenAPI 3.0 dialect). */
export type Schema = Record<string, unknown>;

const ERROR_REF = { $ref: '#/components/schemas/Error' };

function itemSchema(datatype: DataType): Schema {
  switch (datatype) {
    case 'BOOL':
      return { type: 'boolean' };
    case 'BYTES':
      return { type: 'string' };
    case 'FP16':
    case 'BF16':
    case 'FP32':
    case 'FP64':
      return { type: 'number' };
    case 'INT64':
    case 'UINT64':
      // JSON numbers lose digits past 2^53, so decimal strings are accepted too.
      return { oneOf: [{ type: 'integer' }, { type: 'string', pattern: '^-?[0-9]+$' }] };
    default:
      return { type: 'integer' };
  }
}

function inputSchema(input: InputMapping): Schema {
  const item = itemSchema(input.datatype);
  const count = input.shape?.reduce((a, b) => a * b, 1);
  const shapeText = input.shape ? `[${input.shape.join(', ')}]` : 'the nesting of the value';
  const description = `${input.datatype} tensor '${input.name}', shape ${shapeText}; nested lists are flattened`;
  const schema: Schema = count === 1 ? { ...item, description } : { type: 'array', items: item, description };
  if (input.value !== undefined) schema['default'] = input.value;
  return schema;
}

/** Places `leaf` at `path` inside an object schema, creating nested objects on the way. */
function place(root: Schema, path: readonly PathSegment[], leaf: Schema, required: boolean): void {
  let node = root;
  path.forEach((seg, i) => {
    const last = i === path.length - 1;
    if (typeof seg === 'number') {
      // Array positions are documented on the enclosing field only.
      return;
    }
    node['type'] = 'object';
    const props = (node['properties'] ??= {}) as Record<string, Schema>;
    if (required) {
      const req = (node['required'] ??= []) as string[];
      if (!req.includes(seg)) req.push(seg);
    }
    if (last) props[seg] = leaf;
    else node = props[seg] ??= { type: 'object' };
  });
}

function outputSchema(m: OutputMapping): Schema {
  if (m.topK !== undefined)
    return {
      type: 'array',
      description: `top ${m.topK} classes of '${m.tensor}', best first`,
      items: { $ref: '#/components/schemas/ClassScore' },
    };
  if (m.argmax)
    return {
      description: `index (or label) of the largest value of '${m.tensor}'`,
      oneOf: [{ type: 'integer' }, { type: 'string' }],
    };
  return { description: `output '${m.tensor}'${m.softmax ? ' after softmax' : ''}, nested by its shape` };
}

function operation(route: RouteSpec): Schema {
  const body: Schema = { type: 'object' };
  for (const input of route.inputs)
    if (input.from !== undefined && input.from.length > 0)
      place(body, input.from, inputSchema(input), !input.optional && !input.valueIsDefault);
  const reply: Schema = { type: 'object' };
  for (const m of route.outputs) place(reply, [m.field], outputSchema(m), true);
  const json = (schema: Schema, example?: unknown): Schema => ({
    'application/json': { schema, ...(example !== undefined && { example }) },
  });
  const ok =
    route.mode === 'stream'
      ? {
          description:
            'Server-Sent Events: one `data: {json}` event per model response, then `event: done`; ' +
            'a failure after the stream began is an `event: error` with `{"error": ...}`',
          content: { 'text/event-stream': { schema: { type: 'string' } } },
        }
      : { description: 'the model reply', content: json(reply) };
  const err = (description: string): Schema => ({ description, content: json(ERROR_REF) });
  return {
    operationId: route.path.slice(1).replace(/[^A-Za-z0-9]+/g, '_'),
    summary: route.summary ?? `${route.model} (${route.mode})`,
    description:
      (route.description ? `${route.description}\n\n` : '') +
      `Model \`${route.model}\`${route.version ? ` version ${route.version}` : ''}, mode \`${route.mode}\`.`,
    requestBody: { required: true, content: json(body, route.example) },
    responses: {
      '200': ok,
      '400': err('bad JSON, a missing field, a value of the wrong type or shape, or an upstream INVALID_ARG'),
      '429': err('the upstream queue is full'),
      '502': err('the upstream failed (not the caller’s fault)'),
      '503': err('no healthy upstream'),
      '504': err('the upstream did not answer within the route’s timeout'),
    },
  };
}

/** The `<path>/jobs` operations of a route with `jobs: true` (job-routes.ts). */
function jobOperations(route: RouteSpec): Record<string, Schema> {
  const base = operation(route);
  const id = route.path.slice(1).replace(/[^A-Za-z0-9]+/g, '_');
  const json = (schema: Schema): Schema => ({ 'application/json': { schema } });
  const err = (description: string): Schema => ({ description, content: json(ERROR_REF) });
  const status: Schema = {
    type: 'object',
    properties: {
      id: { type: 'string' },
      status: { type: 'string', enum: ['queued', 'running', 'succeeded', 'failed', 'cancelled'] },
      created_at: { type: 'string' },
      started_at: { type: 'string' },
      finished_at: { type: 'string' },
      error: { type: 'string' },
      error_code: { type: 'string' },
      result: { description: 'once succeeded: the reply the route itself would send', type: 'object' },
    },
  };
  const idParam = [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }];
  const notFound = err('no such job (unknown, or its result expired on the server)');
  return {
    [`${route.path}/jobs`]: {
      post: {
        operationId: `${id}_submit_job`,
        summary: `${route.summary ?? route.model}: as an async job`,
        description: `Queues the request as a job on the server's job API; poll \`${route.path}/jobs/{id}\`.`,
        requestBody: base['requestBody'],
        responses: {
          '202': {
            description: 'queued; `Location` names the job',
            content: json({ type: 'object', properties: { id: { type: 'string' }, status: { type: 'string' } } }),
          },
          '400': err('bad JSON or a value of the wrong type or shape, or the server refused the request'),
          '429': err("the server's job backlog or this client's quota is full (see Retry-After)"),
          '502': err('the upstream failed'),
          '503': err('the upstream is unavailable'),
        },
      },
    },
    [`${route.path}/jobs/{id}`]: {
      get: {
        operationId: `${id}_get_job`,
        summary: `${route.summary ?? route.model}: a job's status and result`,
        parameters: idParam,
        responses: { '200': { description: 'the job', content: json(status) }, '404': notFound },
      },
      delete: {
        operationId: `${id}_cancel_job`,
        summary: `${route.summary ?? route.model}: cancel a job`,
        parameters: idParam,
        responses: { '200': { description: 'the job after the cancel', content: json(status) }, '404': notFound },
      },
    },
  };
}

/**
 * Builds the OpenAPI 3.0 document.
 *
 * @example
 * ```ts
 * const doc = buildOpenApi(loadRoutesFile('examples/gateway/routes.yaml'));
 * Object.keys(doc.paths) // ['/forecast', '/predict', ..., '/health']
 * ```
 */
export function buildOpenApi(
  file: Pick<RoutesFile, 'routes' | 'title'>,
  version = '0.1.0',
): {
  openapi: string;
  info: Schema;
  paths: Record<string, Schema>;
  components: Schema;
} {
  const paths: Record<string, Schema> = {};
  for (const route of file.routes) {
    paths[route.path] = { post: operation(route) };
    if (route.jobs === true) Object.assign(paths, jobOperations(route));
  }
  paths['/health'] = {
    get: {
      operationId: 'health',
      summary: 'upstream health',
      responses: {
        '200': {
          description: 'at least one upstream is ready',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Health' } } },
        },
        '503': {
          description: 'no upstream is ready',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Health' } } },
        },
      },
    },
  };
  return {
    openapi: '3.0.3',
    info: { title: file.title, version, description: 'JSON endpoints in front of tensorgate / Triton servers (gRPC).' },
    paths,
    components: {
      schemas: {
        Error: { type: 'object', required: ['error'], properties: { error: { type: 'string' } } },
        ClassScore: {
          type: 'object',
          required: ['index', 'score'],
          properties: { index: { type: 'integer' }, label: { type: 'string' }, score: { type: 'number' } },
        },
        Health: {
          type: 'object',
          required: ['ready', 'upstreams'],
          properties: {
            ready: { type: 'boolean' },
            upstreams: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  address: { type: 'string' },
                  ready: { type: 'boolean' },
                  inFlight: { type: 'integer' },
                  requests: { type: 'integer' },
                  lastError: { type: 'string' },
                },
              },
            },
          },
        },
      },
    },
  };
}
