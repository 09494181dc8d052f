/**
 * `--http-restricted-api` on the HTTP port: every route declares its API group in its route
 * config (`config: { apiGroup }`, from `api-groups.ts`), and an `onRoute` hook puts a check in
 * front of each route of a restricted group. The check runs in `onRequest`, before the body is
 * read and before the method check (as Triton checks before answering 405), and refuses a request
 * without the header, or with another value, with Triton's 403 `{"error": "This API is
 * restricted, expecting header '<header>'"}` (OpenAI-shaped on `/v1`, through that scope's error
 * handler). Routes of open groups get no hook and pay nothing.
 *
 * A route registered without a group fails start-up, so a new route cannot be left out. Two
 * exceptions: @fastify/cors's `OPTIONS *` preflight route (browsers never send custom headers on
 * a preflight, and the preflight itself reaches no API), and routes marked `config.staticAsset`
 * (the web console's page, script and style, and `GET /`: fixed files that reach no API, which a
 * browser loads by navigation, when it cannot add a header; the console's own API routes have
 * groups).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction, RouteOptions } from 'fastify';
import type { ApiGroup, ApiRestrictions, Restriction } from '../restricted-apis.js';
import { HttpStatusError } from './http-status.js';

/** The route config every HTTP route carries. */
export interface ApiGroupConfig {
  readonly apiGroup: ApiGroup;
}

/** The route config of a static file that reaches no API (see the module comment). */
export interface StaticAssetConfig {
  readonly staticAsset: true;
}

type OnRequest = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void;

function restrictionCheck(restriction: Restriction): OnRequest {
  return function restrictedApi(request, _reply, done) {
    if (restriction.allows(request.headers[restriction.key])) done();
    else done(new HttpStatusError(403, restriction.message));
  };
}

function isCorsPreflightRoute(route: RouteOptions): boolean {
  return route.method === 'OPTIONS' && route.url === '*';
}

/**
 * Installs the group check on `app`; call it before any route is registered (it applies to the
 * routes of plugins registered later too, such as the OpenAI frontend).
 *
 * @example
 * ```ts
 * installApiRestrictions(app, parseRestrictions('http', ['model-repository:x-admin-key=s3cret']));
 * app.route({ method: 'POST', url: '/v2/repository/index', config: { apiGroup: 'model-repository' }, handler });
 * ```
 */
export function installApiRestrictions(app: FastifyInstance, restrictions: ApiRestrictions): void {
  const checks = new Map<ApiGroup, OnRequest>();
  for (const group of restrictions.groups()) checks.set(group, restrictionCheck(restrictions.get(group)!));
  app.addHook('onRoute', (route) => {
    const group = (route.config as Partial<ApiGroupConfig> | undefined)?.apiGroup;
    if (group === undefined) {
      if (isCorsPreflightRoute(route)) return;
      if ((route.config as Partial<StaticAssetConfig> | undefined)?.staticAsset === true) return;
      const method = Array.isArray(route.method) ? route.method.join(',') : route.method;
      throw new Error(
        `HTTP route ${method} ${route.url} has no API group: give it config.apiGroup (see frontends/api-groups.ts)`,
      );
    }
    const check = checks.get(group);
    if (check === undefined) return;
    // A fresh array: fastify copies a GET route's options for its HEAD route before this hook
    // runs, and that copy gets its own check when this hook runs for it.
    const existing =
      route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest];
    route.onRequest = [check, ...(existing as OnRequest[])];
  });
}
