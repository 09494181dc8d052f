/**
 * The start-up warning about administrative APIs left open to the network: when the server binds
 * beyond loopback and the `model-repository`, `logging` or `trace` group of an enabled protocol
 * has no restriction, anyone who can reach the port can load and unload models (and so run model
 * code from the repository) or change log and trace settings. One warning names the open groups
 * per protocol and the flags that close them.
 */
import { BlockList, isIP } from 'node:net';
import { groupsServedOn } from './api-groups.js';
import { API_GROUPS, RESTRICTION_OPTIONS, type ApiGroup, type ApiRestrictions } from './restricted-apis.js';

/** The groups that administer the server rather than serve it. */
export const ADMIN_GROUPS: readonly ApiGroup[] = ['model-repository', 'trace', 'logging'];

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/**
 * True when `host` only accepts connections from this machine: `localhost`, 127.0.0.0/8, `::1`
 * (also IPv4-mapped). Any other name or address, `0.0.0.0` and `::` included, is not.
 *
 * @example
 * ```ts
 * isLoopbackHost('127.0.0.1'); // true
 * isLoopbackHost('0.0.0.0');   // false
 * ```
 */
export function isLoopbackHost(host: string): boolean {
  const address = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (address.toLowerCase() === 'localhost') return true;
  const family = isIP(address);
  if (family === 4) return LOOPBACK.check(address, 'ipv4');
  if (family === 6) return LOOPBACK.check(address, 'ipv6');
  return false;
}

/** What the warning looks at: the bind address and the restrictions of each enabled protocol. */
export interface ExposureInput {
  readonly host: string;
  /** Restrictions of HTTP; undefined when HTTP is disabled. */
  readonly http: ApiRestrictions | undefined;
  /** Restrictions of gRPC; undefined when gRPC is disabled. */
  readonly grpc: ApiRestrictions | undefined;
}

/** The warning: a message for the operator and the open groups per protocol (log fields). */
export interface ExposureWarning {
  readonly message: string;
  readonly host: string;
  readonly open: { readonly http?: ApiGroup[]; readonly grpc?: ApiGroup[] };
}

function openGroups(protocol: 'http' | 'grpc', restrictions: ApiRestrictions | undefined): ApiGroup[] {
  if (restrictions === undefined) return [];
  const served = groupsServedOn(protocol);
  return API_GROUPS.filter((g) => ADMIN_GROUPS.includes(g) && served.has(g) && restrictions.get(g) === undefined);
}

/**
 * The warning for `input`, or undefined when nothing administrative is open beyond loopback.
 *
 * @example
 * ```ts
 * openAdminApisWarning({ host: '0.0.0.0', http: new ApiRestrictions(), grpc: undefined })?.open; // { http: ['model-repository', 'trace', 'logging'] }
 * ```
 */
export function openAdminApisWarning(input: ExposureInput): ExposureWarning | undefined {
  if (isLoopbackHost(input.host)) return undefined;
  const http = openGroups('http', input.http);
  const grpc = openGroups('grpc', input.grpc);
  if (http.length === 0 && grpc.length === 0) return undefined;
  const where: string[] = [];
  const fixes: string[] = [];
  if (http.length > 0) {
    where.push(`HTTP (${http.join(', ')})`);
    fixes.push(`${RESTRICTION_OPTIONS.http.flag} ${http.join(',')}:<header>=<secret>`);
  }
  if (grpc.length > 0) {
    where.push(`gRPC (${grpc.join(', ')})`);
    fixes.push(`${RESTRICTION_OPTIONS.grpc.flag} ${grpc.join(',')}:<header>=<secret>`);
  }
  const message =
    `administrative APIs are open to the network (--host ${input.host}) with no restriction on ${where.join(' and ')}: ` +
    'anyone who can reach these ports can read the repository index, load and unload models (explicit mode) ' +
    'and change log and trace settings. ' +
    `Restrict them with ${fixes.join(' and ')}, or bind --host to 127.0.0.1`;
  return {
    message,
    host: input.host,
    open: { ...(http.length > 0 ? { http } : {}), ...(grpc.length > 0 ? { grpc } : {}) },
  };
}
