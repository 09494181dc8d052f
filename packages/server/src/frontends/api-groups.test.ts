// Every route and RPC the server serves has an API group, so a new one cannot escape
// --http-restricted-api / --grpc-restricted-protocol.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RouteOptions } from 'fastify';
import { pino } from 'pino';
import { loadProtoRoot } from '@tensorgate/protocol';
import { API_GROUP_TABLE, grpcMethodGroup, groupsServedOn } from './api-groups.js';
import { guardService } from './grpc/restricted-methods.js';
import {
  HEALTH_SERVICE_NAME,
  INFERENCE_SERVICE_NAME,
  LLM_SERVICE_NAME,
  serviceDefinitionOf,
} from './grpc/service-definition.js';
import { FakeCore } from './http/fake-core.test-helper.js';
import { createHttpFrontend } from './http/http-server.js';
import { ROUTES } from './http/routes.js';
import { CONSOLE_ROUTES } from './console/console-routes.js';
import { LiveStats } from './console/live-stats.js';
import { mountConsole } from './console/mount-console.js';
import { mountOpenAiFrontend } from './openai/openai-frontend.js';
import { OPENAI_ROUTES } from './openai/routes.js';
import { API_GROUPS, parseRestrictions } from './restricted-apis.js';

const logger = pino({ level: 'silent' });
const SERVICES = [INFERENCE_SERVICE_NAME, LLM_SERVICE_NAME, HEALTH_SERVICE_NAME];
const ALL_RESTRICTED = [`${API_GROUPS.join(',')}:x-key=v`];

describe('the API group table', () => {
  test('every HTTP and /v1 route of the route tables has a known group', () => {
    for (const route of ROUTES) assert.ok(API_GROUPS.includes(API_GROUP_TABLE.http[route.handler]), route.url);
    for (const route of OPENAI_ROUTES) assert.ok(API_GROUPS.includes(API_GROUP_TABLE.openai[route.handler]), route.url);
    for (const route of CONSOLE_ROUTES) {
      assert.ok(API_GROUPS.includes(API_GROUP_TABLE.console[route.handler]), route.url);
    }
  });

  test('every RPC of the three gRPC services has a group, and the table lists no other method', () => {
    const served = SERVICES.flatMap((name) =>
      loadProtoRoot()
        .lookupService(name)
        .methodsArray.map((m) => `/${name}/${m.name}`),
    );
    for (const path of served) assert.ok(API_GROUPS.includes(grpcMethodGroup(path)), path);
    assert.deepEqual(Object.keys(API_GROUP_TABLE.grpc).sort(), [...served].sort());
    assert.throws(() => grpcMethodGroup('/inference.GRPCInferenceService/NewRpc'), /has no API group/);
    assert.throws(() => grpcMethodGroup('toString'), /has no API group/);
  });

  test("Triton's assignments: model readiness is health, the repository, trace and logging their own", () => {
    assert.equal(API_GROUP_TABLE.http.modelReady, 'health');
    assert.equal(API_GROUP_TABLE.grpc['/inference.GRPCInferenceService/ModelReady'], 'health');
    assert.equal(API_GROUP_TABLE.grpc['/grpc.health.v1.Health/Check'], 'health');
    assert.equal(API_GROUP_TABLE.http.namedRepository, 'model-repository');
    assert.equal(API_GROUP_TABLE.grpc['/inference.GRPCInferenceService/TraceSetting'], 'trace');
    assert.equal(API_GROUP_TABLE.http.updateLogging, 'logging');
  });

  test('every way to run a model is inference', () => {
    for (const handler of ['infer', 'generate', 'generateStream'] as const)
      assert.equal(API_GROUP_TABLE.http[handler], 'inference');
    for (const route of OPENAI_ROUTES) assert.equal(API_GROUP_TABLE.openai[route.handler], 'inference');
    for (const rpc of [
      '/inference.GRPCInferenceService/ModelInfer',
      '/inference.GRPCInferenceService/ModelStreamInfer',
      '/llm.LLMService/Generate',
      '/llm.LLMService/StreamGenerate',
    ]) {
      assert.equal(API_GROUP_TABLE.grpc[rpc], 'inference');
    }
  });

  test('groups served per protocol: every group on both (HTTP serves trace at /v2[/models/{m}]/trace/setting)', () => {
    assert.deepEqual([...groupsServedOn('grpc')].sort(), [...API_GROUPS].sort());
    assert.deepEqual([...groupsServedOn('http')].sort(), [...API_GROUPS].sort());
    assert.equal(API_GROUP_TABLE.http.getTrace, 'trace');
    assert.equal(API_GROUP_TABLE.http.updateTrace, 'trace');
  });
});

describe('the frontends refuse to serve an endpoint without a group', () => {
  test('every route fastify registers (KServe, 405s, HEAD, /v1, console, CORS preflight) passes the check', async () => {
    const http = createHttpFrontend(new FakeCore(), {
      logger,
      corsOrigins: ['*'],
      restrictions: parseRestrictions('http', ALL_RESTRICTED),
    });
    const seen: RouteOptions[] = [];
    http.server.addHook('onRoute', (route) => void seen.push(route));
    mountOpenAiFrontend(http.server, new FakeCore(), { logger, apiKey: 'k' });
    const restrictions = parseRestrictions('http', ALL_RESTRICTED);
    const clock = { nowNs: () => 0, wallMs: () => 0, setTimer: () => () => {} };
    mountConsole(http.server, {
      stats: new LiveStats(clock),
      version: '0',
      server: { ports: () => ({}), controlMode: 'none', startedAtMs: 0, nowMs: () => 0, restrictions },
    });
    await http.server.ready();
    assert.ok(seen.some((r) => r.url === '/v1/chat/completions'));
    assert.ok(seen.some((r) => r.url === '/console/api/stats'));
    // The console's files are static assets (no group): a browser loads them by navigation.
    assert.equal((await http.server.inject({ method: 'GET', url: '/console' })).statusCode, 200);
    assert.equal((await http.server.inject({ method: 'GET', url: '/console/api/stats' })).statusCode, 403);
    await http.close();
  });

  test('a route added without config.apiGroup fails start-up', () => {
    const http = createHttpFrontend(new FakeCore(), { logger });
    assert.throws(
      () => http.server.get('/v2/new-thing', async () => 'x'),
      /HTTP route GET \/v2\/new-thing has no API group/,
    );
  });

  test('a gRPC service with a method the table lacks fails start-up, when restricted or not', () => {
    const definition = { ...serviceDefinitionOf(HEALTH_SERVICE_NAME) };
    definition['Other'] = { ...definition['Check']!, path: '/grpc.health.v1.Health/Other' };
    for (const specs of [[], ALL_RESTRICTED]) {
      assert.throws(() => guardService(definition, {}, parseRestrictions('grpc', specs)), /Other has no API group/);
    }
  });
});
