// Keeps docs/api.md true: every HTTP route of the route table and every RPC of the gRPC services
// has its row, and the page lists nothing the server does not answer; the restricted-API table
// matches the API group table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { loadProtoRoot } from '@tensorgate/protocol';
import { API_GROUP_TABLE } from './api-groups.js';
import { CONSOLE_ROUTES } from './console/console-routes.js';
import { ROUTES } from './http/routes.js';
import { API_GROUPS } from './restricted-apis.js';
import { OPENAI_ROUTES } from './openai/routes.js';

const doc = readFileSync(new URL('../../../../docs/api.md', import.meta.url), 'utf8');
const docPath = (url: string): string =>
  url
    .replace(':model', '{m}')
    .replace(':version', '{v}')
    .replace(':region', '{r}')
    .replace(':repository', '{repo}')
    .replace(':id', '{id}');

test('docs/api.md lists exactly the HTTP routes of the route tables (KServe, OpenAI and the console)', () => {
  const documented = new Set([...doc.matchAll(/^\| `(GET|POST|DELETE) (\/[^`]*)` \|/gm)].map((m) => `${m[1]} ${m[2]}`));
  const served = new Set([...ROUTES, ...OPENAI_ROUTES, ...CONSOLE_ROUTES].map((r) => `${r.method} ${docPath(r.url)}`));
  for (const route of served) assert.ok(documented.has(route), `docs/api.md lacks ${route}`);
  for (const route of documented) assert.ok(served.has(route), `docs/api.md lists ${route}, which is not served`);
});

test('docs/api.md lists every RPC of GRPCInferenceService, LLMService and the health service', () => {
  const rpcs = loadProtoRoot()
    .lookupService('inference.GRPCInferenceService')
    .methodsArray.map((m) => m.name);
  assert.equal(rpcs.length, 20);
  for (const rpc of rpcs) assert.match(doc, new RegExp(`^\\| \`${rpc}\` \\|`, 'm'), `docs/api.md lacks ${rpc}`);
  const llmRpcs = loadProtoRoot()
    .lookupService('llm.LLMService')
    .methodsArray.map((m) => m.name);
  assert.deepEqual(llmRpcs, ['Generate', 'StreamGenerate']);
  for (const rpc of llmRpcs) assert.match(doc, new RegExp(`^\\| \`${rpc}\` \\|`, 'm'), `docs/api.md lacks ${rpc}`);
  for (const rpc of loadProtoRoot()
    .lookupService('grpc.health.v1.Health')
    .methodsArray.map((m) => m.name)) {
    assert.ok(doc.includes(`\`${rpc}\``), `docs/api.md lacks health ${rpc}`);
  }
});

test('docs/api.md lists, per API group, exactly the routes and RPCs of the API group table', () => {
  const rows = new Map(
    [...doc.matchAll(/^\| `([a-z-]+)` \| (.*) \| (.*) \|$/gm)].map((m) => [m[1]!, { http: m[2]!, grpc: m[3]! }]),
  );
  const cells = (text: string): string[] => (text === 'none' ? [] : [...text.matchAll(/`([^`]+)`/g)].map((m) => m[1]!));
  assert.deepEqual([...rows.keys()], [...API_GROUPS]);
  for (const group of API_GROUPS) {
    const http = [
      ...ROUTES.filter((r) => API_GROUP_TABLE.http[r.handler] === group),
      ...OPENAI_ROUTES.filter((r) => API_GROUP_TABLE.openai[r.handler] === group),
      ...CONSOLE_ROUTES.filter((r) => API_GROUP_TABLE.console[r.handler] === group),
    ].map((r) => `${r.method} ${docPath(r.url)}`);
    const grpc = Object.entries(API_GROUP_TABLE.grpc)
      .filter(([, g]) => g === group)
      .map(([path]) => path.slice(1).replace('inference.GRPCInferenceService/', ''));
    assert.deepEqual(new Set(cells(rows.get(group)!.http)), new Set(http), `HTTP routes of ${group}`);
    assert.deepEqual(new Set(cells(rows.get(group)!.grpc)), new Set(grpc), `RPCs of ${group}`);
  }
});
