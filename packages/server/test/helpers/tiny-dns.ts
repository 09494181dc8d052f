/**
 * A tiny authoritative DNS server on UDP loopback for tests: it answers A queries for every name
 * with the current address list (TTL 0) and every other query type with no records, like a
 * Kubernetes headless Service whose ready pods change. Hand-written (~50 lines of RFC 1035
 * framing) because a test fixture should not pull a DNS library in.
 */
import { createSocket, type Socket } from 'node:dgram';

/** A running fixture. */
export interface TinyDns {
  /** The UDP port on 127.0.0.1. */
  readonly port: number;
  /** The IPv4 addresses every A query is answered with; replace to "scale". */
  addresses: string[];
  close(): Promise<void>;
}

const TYPE_A = 1;

/** Starts the server on 127.0.0.1, port 0. */
export async function startTinyDns(addresses: string[]): Promise<TinyDns> {
  const socket: Socket = createSocket('udp4');
  const state: TinyDns = {
    port: 0,
    addresses,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
  socket.on('message', (query, peer) => {
    const reply = answer(query, state.addresses);
    if (reply !== undefined) socket.send(reply, peer.port, peer.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return Object.assign(state, { port: socket.address().port });
}

/** The response to one query message (one question), or undefined for a message it cannot read. */
function answer(query: Buffer, addresses: string[]): Buffer | undefined {
  if (query.length < 12 || query.readUInt16BE(4) !== 1) return undefined;
  let offset = 12;
  while (offset < query.length && query[offset] !== 0) offset += query[offset]! + 1; // QNAME labels
  offset += 1;
  if (offset + 4 > query.length) return undefined;
  const qtype = query.readUInt16BE(offset);
  const question = query.subarray(12, offset + 4);
  const records = qtype === TYPE_A ? addresses : [];
  const header = Buffer.alloc(12);
  header.writeUInt16BE(query.readUInt16BE(0), 0); // id
  header.writeUInt16BE(0x8400 | (query.readUInt16BE(2) & 0x0100), 2); // response, authoritative, RD copied
  header.writeUInt16BE(1, 4); // one question
  header.writeUInt16BE(records.length, 6);
  const answers = records.map((ip) => {
    const rr = Buffer.alloc(16);
    rr.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question's
    rr.writeUInt16BE(TYPE_A, 2);
    rr.writeUInt16BE(1, 4); // class IN
    rr.writeUInt32BE(0, 6); // TTL 0: always ask again
    rr.writeUInt16BE(4, 10);
    ip.split('.').forEach((octet, i) => rr.writeUInt8(Number(octet), 12 + i));
    return rr;
  });
  return Buffer.concat([header, question, ...answers]);
}
