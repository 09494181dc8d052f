/**
 * The grpc-js target of a gRPC client: one target as grpc-js takes it (`host:port`,
 * `dns:///host:port`, `ipv4:a:p,b:p`, `unix:...`), or several replica addresses (an array or a
 * comma-separated list of `ip:port`), turned into grpc-js' `ipv4:` / `ipv6:` multi-address target.
 * Balancing over the addresses is grpc-js' own `round_robin` policy (see `grpc-channel.ts`).
 */
import { isIP } from 'node:net';
import { invalidArgument } from '../errors.js';

/** A URI scheme at the start of a target (`dns:`, `ipv4:`, `unix:`...), which grpc-js resolves itself. */
const SCHEME = /^(?:dns|ipv4|ipv6|unix|unix-abstract|vsock|xds):|^[a-z][a-z0-9+.-]*:(?!\d)/i;

/**
 * The grpc-js target for `target`.
 *
 * @example
 * ```ts
 * grpcTarget('localhost:8001') // 'localhost:8001'
 * grpcTarget(['10.0.0.1:8001', '10.0.0.2:8001']) // 'ipv4:10.0.0.1:8001,10.0.0.2:8001'
 * grpcTarget('[::1]:8001,[::1]:8002') // 'ipv6:[::1]:8001,[::1]:8002'
 * ```
 */
export function grpcTarget(target: string | readonly string[]): string {
  const list = (typeof target === 'string' ? splitList(target) : target).map((t) => t.trim()).filter((t) => t);
  if (list.length === 0) throw invalidArgument('the gRPC client needs a target');
  if (list.length === 1) return list[0]!;
  const families = new Set<number>();
  const addresses = list.map((entry) => {
    const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(entry);
    const host = m?.[1] ?? m?.[2];
    const family = host === undefined ? 0 : isIP(host);
    if (family === 0) {
      throw invalidArgument(
        `gRPC address lists take IP addresses with ports ('10.0.0.1:8001', '[fd00::1]:8001'), got '${entry}'; ` +
          `for a name that resolves to several addresses (e.g. a Kubernetes headless Service) use 'dns:///name:port'`,
      );
    }
    families.add(family);
    return family === 6 ? `[${host}]:${m![3]}` : entry;
  });
  if (families.size > 1) {
    throw invalidArgument(
      `a gRPC address list must be all IPv4 or all IPv6 addresses (grpc-js' ipv4: / ipv6: targets)`,
    );
  }
  return `${families.has(6) ? 'ipv6' : 'ipv4'}:${addresses.join(',')}`;
}

/** A target with a scheme stays whole (`ipv4:a,b` is one grpc-js target); otherwise commas separate addresses. */
function splitList(target: string): string[] {
  return SCHEME.test(target.trim()) ? [target] : target.split(',');
}
