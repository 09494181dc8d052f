/**
 * Restricted APIs, Triton's way (`--http-restricted-api`, `--grpc-restricted-protocol`): each
 * option names API groups and a header that requests to them must carry with a given value, as
 * `<group>[,<group>...]:<header>=<value>`. Parsing follows Triton's `ParseRestrictedFeatureOption`
 * (src/command_line_parser.cc): the groups are what comes before the first `:`, the header what
 * lies between it and the next `=`, the value everything after (it may hold `:` and `=`); a group
 * may be named once over all options of a protocol. On gRPC the header is the metadata key
 * `triton-grpc-protocol-<header>`. Which endpoint belongs to which group is in `api-groups.ts`.
 *
 * Beyond Triton, header names and values that no client could send (a space in a header name, a
 * control character in a value, a binary `-bin` gRPC key) are refused at start-up instead of
 * making an API unreachable, and error messages never repeat the secret value.
 */
import { SecretMatcher } from '../core/secret-match.js';

/** Triton's API groups (RESTRICTED_CATEGORY_NAMES in src/restricted_features.h), in its order. */
export const API_GROUPS = [
  'health',
  'metadata',
  'inference',
  'shared-memory',
  'model-config',
  'model-repository',
  'statistics',
  'trace',
  'logging',
] as const;

/** One API group. */
export type ApiGroup = (typeof API_GROUPS)[number];

/** The protocol an option restricts. */
export type RestrictedProtocol = 'http' | 'grpc';

/** Prefix of the gRPC metadata key that carries a restricted protocol's header (Triton's kRestrictedProtocolHeaderTemplate). */
export const GRPC_RESTRICTED_HEADER_PREFIX = 'triton-grpc-protocol-';

/** The option of each protocol, as the settings table names it, and Triton's word for a group. */
export const RESTRICTION_OPTIONS: Readonly<
  Record<RestrictedProtocol, { readonly flag: string; readonly env: string; readonly noun: 'api' | 'protocol' }>
> = {
  http: { flag: '--http-restricted-api', env: 'TENSORGATE_HTTP_RESTRICTED_API', noun: 'api' },
  grpc: { flag: '--grpc-restricted-protocol', env: 'TENSORGATE_GRPC_RESTRICTED_PROTOCOL', noun: 'protocol' },
};

/** A bad restriction option; the message names the option and the problem, never the secret. */
export class RestrictionSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RestrictionSpecError';
  }
}

/** What one restricted group requires of a request. */
export class Restriction {
  /** The header the client must send: as configured on HTTP, `triton-grpc-protocol-<header>` on gRPC. */
  readonly header: string;
  /** `header` in lower case: Node's key for it in incoming headers, and the gRPC metadata key. */
  readonly key: string;
  /** Triton's refusal text (HTTP 403 `error`, gRPC UNAVAILABLE details). */
  readonly message: string;
  private readonly secret: SecretMatcher;

  constructor(protocol: RestrictedProtocol, header: string, value: string) {
    this.header = protocol === 'grpc' ? GRPC_RESTRICTED_HEADER_PREFIX + header.toLowerCase() : header;
    this.key = this.header.toLowerCase();
    this.message =
      protocol === 'grpc'
        ? `This protocol is restricted, expecting header '${this.header}'`
        : `This API is restricted, expecting header '${this.header}'`;
    this.secret = new SecretMatcher(value);
  }

  /**
   * True when `received` (what the request carries under {@link key}) is exactly the value, sent
   * once: a header sent twice arrives joined (`a, b`) or as several values and is refused.
   */
  allows(received: unknown): boolean {
    return this.secret.matches(received);
  }
}

/**
 * The restrictions of one protocol: a {@link Restriction} per restricted group.
 *
 * @example
 * ```ts
 * const r = parseRestrictions('http', ['model-repository,logging:x-admin-key=s3cret']);
 * r.get('logging')?.allows(request.headers[r.get('logging')!.key]);
 * r.get('inference'); // undefined: open
 * ```
 */
export class ApiRestrictions {
  private readonly byGroup: ReadonlyMap<ApiGroup, Restriction>;

  constructor(byGroup: ReadonlyMap<ApiGroup, Restriction> = new Map()) {
    this.byGroup = byGroup;
  }

  /** The restriction of `group`, or undefined when the group is open. */
  get(group: ApiGroup): Restriction | undefined {
    return this.byGroup.get(group);
  }

  /** The restricted groups, in Triton's order. */
  groups(): ApiGroup[] {
    return API_GROUPS.filter((g) => this.byGroup.has(g));
  }

  /** Every distinct header the restrictions ask for (for CORS preflights). */
  headers(): string[] {
    return [...new Set([...this.byGroup.values()].map((r) => r.header))];
  }
}

const KNOWN = new Set<string>(API_GROUPS);
// RFC 9110 token: what an HTTP header name may hold.
const HTTP_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// gRPC metadata keys are lower case [0-9a-z_.-] (we lower-case the configured name first).
const GRPC_KEY = /^[0-9A-Za-z_.-]+$/;
// Printable ASCII, no leading or trailing blank: what both HTTP and gRPC carry unchanged.
const VALUE = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/;
const FORMAT = "<groups>:<header>=<value>, e.g. 'model-repository,logging:x-admin-key=<secret>'";

function checkHeader(protocol: RestrictedProtocol, header: string): string | undefined {
  if (protocol === 'http') {
    if (!HTTP_TOKEN.test(header)) {
      return `header name '${header}' is not a valid HTTP header name (letters, digits and !#$%&'*+-.^_\`|~ only)`;
    }
    return undefined;
  }
  if (!GRPC_KEY.test(header)) {
    return `header name '${header}' cannot be part of a gRPC metadata key (letters, digits, '-', '_' and '.' only)`;
  }
  if (header.toLowerCase().endsWith('-bin')) {
    return `header name '${header}' ends in '-bin', which makes binary gRPC metadata; binary values are not supported`;
  }
  return undefined;
}

/** One option value, split Triton's way; returns the problem instead when it does not parse. */
function split(text: string): { groups: string[]; header: string; value: string } | string {
  const colon = text.indexOf(':');
  if (colon < 0) return `this one has no ':'`;
  const equals = text.indexOf('=', colon + 1);
  if (equals < 0) return `this one has no '=' after the ':'`;
  const groups = text.slice(0, colon);
  const header = text.slice(colon + 1, equals);
  const value = text.slice(equals + 1);
  if (groups === '') return `the group list before ':' is empty`;
  if (header === '') return `the header name between ':' and '=' is empty`;
  if (value === '') return `the value after '=' is empty`;
  // Triton splits on ',' without trimming: ' logging' is an unknown group, as there.
  return { groups: groups.split(','), header, value };
}

/**
 * Parses the values of one protocol's option (each `<groups>:<header>=<value>`). Throws
 * {@link RestrictionSpecError} with a message naming the option, the entry (when there are
 * several) and the problem.
 *
 * @example
 * ```ts
 * parseRestrictions('grpc', ['inference:x-api-key=abc']).get('inference')?.header; // 'triton-grpc-protocol-x-api-key'
 * parseRestrictions('http', ['logging,logging:k=v']); // throws: restricted api 'logging' can not be specified in multiple config groups
 * ```
 */
export function parseRestrictions(protocol: RestrictedProtocol, specs: readonly string[]): ApiRestrictions {
  const { flag, env, noun } = RESTRICTION_OPTIONS[protocol];
  const byGroup = new Map<ApiGroup, Restriction>();
  specs.forEach((text, index) => {
    const where = specs.length > 1 ? `${flag} (${env}), entry ${index + 1} of ${specs.length}` : `${flag} (${env})`;
    const fail = (problem: string): never => {
      throw new RestrictionSpecError(`${where}: ${problem}`);
    };
    const parts = split(text);
    if (typeof parts === 'string') return fail(`must be ${FORMAT}; ${parts}`);
    const headerProblem = checkHeader(protocol, parts.header);
    if (headerProblem !== undefined) return fail(headerProblem);
    if (!VALUE.test(parts.value)) {
      return fail('the value must be printable ASCII, without control characters or leading or trailing blanks');
    }
    const restriction = new Restriction(protocol, parts.header, parts.value);
    for (const group of parts.groups) {
      if (!KNOWN.has(group)) fail(`unknown restricted ${noun} '${group}' (known: ${API_GROUPS.join(', ')})`);
      if (byGroup.has(group as ApiGroup)) {
        fail(`restricted ${noun} '${group}' can not be specified in multiple config groups`);
      }
      byGroup.set(group as ApiGroup, restriction);
    }
  });
  return new ApiRestrictions(byGroup);
}
