/**
 * The validated form of a gateway routes file (see docs/gateway.md for the file format). The
 * parser in `route-file.ts` turns YAML/JSON into these types once at start-up, so the request path
 * never re-checks the file.
 */
import type { DataType } from '@tensorgate/protocol';
import type { PathSegment } from './json-path.js';

/** How a route talks to its model. */
export type RouteMode =
  /** One ModelInfer call, one JSON reply. */
  | 'unary'
  /** A ModelStreamInfer call (decoupled model); every response is gathered into one JSON reply. */
  | 'collect'
  /** A ModelStreamInfer call relayed as Server-Sent Events, one event per response. */
  | 'stream';

/** Where an input tensor's value comes from: a field of the request body, or a constant. */
export interface InputMapping {
  /** Input tensor name of the model. */
  readonly name: string;
  readonly datatype: DataType;
  /** Tensor shape; one `-1` is inferred from the element count. Absent: the data's own nesting. */
  readonly shape?: readonly number[];
  /** Body field (parsed JSON path) the value is read from. */
  readonly from?: readonly PathSegment[];
  /** The path as written, for messages and docs. */
  readonly fromText?: string;
  /** A constant value (used when `from` is absent, or when the field is missing and this is a default). */
  readonly value?: unknown;
  /** Whether `value` is only a fallback for a missing `from` field. */
  readonly valueIsDefault: boolean;
  /** Whether the input is left out when its field is missing and no default is given. */
  readonly optional: boolean;
}

/** Labels for classification post-processing. */
export type LabelSource =
  /** The server's classification extension (`InferRequestedOutput` with a class count). */
  | { readonly kind: 'server' }
  /** A list given inline or read from a file at start-up. */
  | { readonly kind: 'list'; readonly labels: readonly string[] };

/** How one output tensor becomes one field of the JSON reply. */
export interface OutputMapping {
  /** JSON field name in the reply. */
  readonly field: string;
  /** Output tensor name of the model. */
  readonly tensor: string;
  /** Softmax over the last axis before anything else. */
  readonly softmax: boolean;
  /** Index (or label) of the largest value along the last axis. */
  readonly argmax: boolean;
  /** The `k` largest values along the last axis as `{index, label?, score}` objects. */
  readonly topK?: number;
  readonly labels?: LabelSource;
  /** Drop every dimension of size 1 (default true: `[1, 5]` becomes a flat list of 5, `[1]` a scalar). */
  readonly squeeze: boolean;
}

/** One validated route. */
export interface RouteSpec {
  /** HTTP path, e.g. `/forecast` (always POST). */
  readonly path: string;
  readonly model: string;
  /** Model version ('' = the server's choice). */
  readonly version: string;
  readonly mode: RouteMode;
  readonly summary?: string;
  readonly description?: string;
  /** Per-request upstream deadline; past it the client gets 504. */
  readonly timeoutMs?: number;
  readonly inputs: readonly InputMapping[];
  /** Empty: every output of the model under its own name (post-processing needs a mapping). */
  readonly outputs: readonly OutputMapping[];
  /** Request parameters sent with every call (e.g. sampling settings). */
  readonly parameters: Readonly<Record<string, string | number | boolean>>;
  /** Example request body, shown in the docs page and the OpenAPI document. */
  readonly example?: unknown;
  /** Also serve `<path>/jobs` through the server's async job API (needs the file's `jobs.upstream`). */
  readonly jobs?: boolean;
}

/** Where the gateway sends jobs (the job API is HTTP only). */
export interface JobsUpstream {
  /** The server's HTTP base URL, e.g. `http://10.0.0.5:8000` (a Service over replicas sharing a Redis store). */
  readonly url: string;
  /** Request headers passed on to the server (e.g. the one its `--jobs-client-header` names). */
  readonly forwardHeaders: readonly string[];
}

/** A whole validated routes file. */
export interface RoutesFile {
  /** Upstream `host:port` gRPC addresses named in the file (the CLI may add more). */
  readonly upstreams: readonly string[];
  readonly healthIntervalMs?: number;
  /** Allowed CORS origins (`*` for any); absent: CORS off. */
  readonly corsOrigins?: readonly string[];
  /** Title of the OpenAPI document and docs page. */
  readonly title: string;
  readonly routes: readonly RouteSpec[];
  /** The async job API's upstream, for routes with `jobs: true`. */
  readonly jobs?: JobsUpstream;
}

/** Paths the gateway serves itself; a route may not take them. */
export const RESERVED_PATHS: readonly string[] = ['/health', '/openapi.json', '/docs'];
