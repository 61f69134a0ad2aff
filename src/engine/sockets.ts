// The daemon's UDP sockets, one per `bind` statement (src/socket.c): `bind any` is one
// dual-stack IPv6 socket, an address without a port gets a random one. fastd opens a fresh
// socket per connection for a port-less bind; we bind one random port for all of them.
import type { BindAddress, Config } from '../config/types.js';
import { AddressFamily } from '../io/linux-abi.js';
import { closeSocket, openUdpSocket, type UdpSocket } from '../io/udp.js';
import type { Endpoint, SocketSpec } from './datapath/messages.js';

export interface BoundSocket {
  readonly socketId: number;
  readonly socket: UdpSocket;
  readonly bind: BindAddress;
  /** A dual-stack `any` socket reaches IPv4 peers too. */
  readonly dualStack: boolean;
}

/** fastd's default when no `bind` is configured. */
const BIND_ANY: BindAddress = { family: 'any', address: '::', port: undefined, interface: undefined };

export function openSockets(config: Config): BoundSocket[] {
  const binds = config.binds.length > 0 ? config.binds : [BIND_ANY];
  const sockets: BoundSocket[] = [];
  try {
    for (const bind of binds) {
      const dualStack = bind.family === 'any';
      const socket = openUdpSocket({
        address: dualStack ? null : bind.address,
        port: bind.port ?? 0,
        interface: bind.interface,
        mark: config.packetMark,
      });
      sockets.push({ socketId: sockets.length, socket, bind, dualStack });
    }
  } catch (error) {
    for (const open of sockets) closeSocket(open.socket);
    throw error;
  }
  return sockets;
}

export function socketSpec(bound: BoundSocket): SocketSpec {
  return { socketId: bound.socketId, fd: bound.socket.fd, family: bound.socket.family === AddressFamily.INET6 ? 6 : 4 };
}

function reaches(bound: BoundSocket, family: 4 | 6): boolean {
  if (bound.dualStack) return true;
  return (bound.socket.family === AddressFamily.INET6 ? 6 : 4) === family;
}

/** The socket to send to `family` from: the `default` bind of that family, else the first that reaches it. */
export function socketFor(sockets: readonly BoundSocket[], config: Config, family: 4 | 6): BoundSocket | undefined {
  const preferred = family === 4 ? config.defaultBind.ipv4 : config.defaultBind.ipv6;
  if (preferred !== undefined && sockets[preferred] && reaches(sockets[preferred], family)) return sockets[preferred];
  return sockets.find((bound) => reaches(bound, family));
}

/** The socket's bound address for hooks; undefined for a wildcard, which names no address. */
export function boundEndpoint(bound: BoundSocket): Endpoint | undefined {
  const { address, port, scopeId } = bound.socket.local;
  if (address === '::' || address === '0.0.0.0') return undefined;
  return { family: address.includes(':') ? 6 : 4, address, port, scopeId: scopeId ?? 0 };
}

export function closeSockets(sockets: readonly BoundSocket[]): void {
  for (const bound of sockets) closeSocket(bound.socket);
}
