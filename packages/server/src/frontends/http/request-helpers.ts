/**
 * Helpers shared by the HTTP handlers: reading the `{model}` / `{version}` path parameters and
 * the optional JSON bodies of the non-infer POST endpoints.
 */
import type { FastifyRequest } from 'fastify';
import { invalidArg, notFound } from '../../core/errors.js';
import { isJsonObject, jsonKind, parseJsonBytes, type JsonObject } from './json-fields.js';

/** Model name and optional version from the URL. */
export interface ModelPath {
  readonly model: string;
  /** undefined when the URL has no `/versions/{v}`. */
  readonly version: string | undefined;
}

/**
 * Reads `{model}` and `{version}` from the route parameters. Versions must be decimal digits, as
 * in Triton's URL pattern, where anything else does not match a route (hence NOT_FOUND).
 */
export function modelPath(request: FastifyRequest): ModelPath {
  const params = request.params as { model?: string; version?: string };
  const model = params.model ?? '';
  if (model === '') throw invalidArg('missing model name in the URL');
  const version = params.version;
  if (version !== undefined && !/^\d+$/.test(version)) {
    throw notFound(`Not Found: model version must be a non-negative integer, got '${version}'`);
  }
  return { model, version };
}

/**
 * Parses the optional JSON object body of a POST such as repository index / load / unload. An
 * empty (or absent) body yields an empty object.
 *
 * @param what names the request in messages, e.g. "load model request".
 */
export function optionalJsonBody(request: FastifyRequest, what: string): JsonObject {
  const body = request.body;
  if (body === undefined || body === null) return {};
  if (!(body instanceof Uint8Array)) throw invalidArg(`${what}: unexpected body`);
  if (
    body.byteLength === 0 ||
    /^\s*$/.test(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'))
  ) {
    return {};
  }
  const doc = parseJsonBytes(body, `${what} JSON`);
  if (!isJsonObject(doc)) throw invalidArg(`${what}: the body must be a JSON object, got ${jsonKind(doc)}`);
  return doc;
}

/** The request body as bytes (empty when there is none). */
export function bodyBytes(request: FastifyRequest): Buffer {
  const body = request.body;
  if (body instanceof Buffer) return body;
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  return Buffer.alloc(0);
}
