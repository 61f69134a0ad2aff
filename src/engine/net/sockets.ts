// The daemon's UDP sockets, one per `bind` statement with a port (src/socket.c): `bind any`
// is one dual-stack IPv6 socket, port 0 a random port kept while the daemon runs. A bind
// without a port opens nothing here: as in fastd, each outgoing connection gets a fresh
// socket of its own (peer-sockets.ts), and no bind at all means `bind any` without a port.
import type { BindAddress, Config } from '../../config/types.js';
import { AddressFamily } from '../../io/linux-abi.js';
import { closeSocket, forceSocketBuffers, openUdpSocket, type UdpSocket } from '../../io/udp.js';
import type { Endpoint, SocketSpec } from '../datapath/messages.js';

export interface BoundSocket {
  readonly socketId: number;
  readonly socket: UdpSocket;
  readonly bind: BindAddress;
  /** A dual-stack `any` socket reaches IPv4 peers too. */
  readonly dualStack: boolean;
}

/**
 * Socket buffer bytes each way. The kernel's default (212992) holds ~100 datagrams: a
 * datapath worker busy with a batch for a few hundred microseconds loses UDP GRO bundles of
 * up to 64 packets each at the receive buffer, and TCP through the tunnel falls back to
 * retransmitting (measured ts↔ts: ~80,000 retransmits per 4 s; with 4 MiB none, +45 %).
 * The receive side is where a worker starts from and the most it goes to: it sizes each
 * socket's buffer by the time it holds (datapath/receive-buffer.ts).
 */
export const SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;

/** 0.0.0.0 and :: in any spelling. */
const UNSPECIFIED_ADDRESS = /^(0\.0\.0\.0|[0:]+)$/;

/** fastd's default when no `bind` is configured. */
const BIND_ANY: BindAddress = { family: 'any', address: '::', port: undefined, interface: undefined };

/**
 * Opens a socket for `bind` (port 0 when it has none, unless `port` names the one to share);
 * throws when it cannot. `reusePort`: other sockets (one per datapath worker) share its port.
 */
export function openBind(config: Config, bind: BindAddress, socketId: number, reusePort = false, port = bind.port ?? 0): BoundSocket {
  const dualStack = bind.family === 'any';
  // A wildcard socket learns each datagram's local address, so a peer is answered from the
  // address it talks to; a specific one may be bound before the address exists (keepalived).
  const wildcard = dualStack || UNSPECIFIED_ADDRESS.test(bind.address);
  const socket = openUdpSocket({
    address: dualStack ? null : bind.address,
    port,
    interface: bind.interface,
    mark: config.packetMark,
    reusePort,
    pktinfo: wildcard,
    freebind: !wildcard,
  });
  forceSocketBuffers(socket.fd, SOCKET_BUFFER_BYTES, SOCKET_BUFFER_BYTES);
  return { socketId, socket, bind, dualStack };
}

/**
 * The sockets of the binds with a port, opened at start: `copies` sockets per bind, all on
 * the bind's port with SO_REUSEPORT, so that the kernel spreads peers over the datapath
 * workers by their address. Returns copy 0 of each bind first (the control plane's), then
 * the sockets of copy k at [k * binds, (k + 1) * binds).
 */
export function openSockets(config: Config, copies = 1): BoundSocket[] {
  const sockets: BoundSocket[] = [];
  try {
    const binds = config.binds.filter((bind) => bind.port !== undefined);
    if (copies > 1) for (const bind of binds) claimPort(config, bind);
    for (const bind of binds) sockets.push(openBind(config, bind, sockets.length, copies > 1));
    for (let copy = 1; copy < copies; copy++) {
      binds.forEach((bind, socketId) => sockets.push(openBind(config, bind, socketId, true, sockets[socketId]!.socket.local.port)));
    }
  } catch (error) {
    for (const open of sockets) closeSocket(open.socket);
    throw error;
  }
  return sockets;
}

/**
 * Throws EADDRINUSE, as fastd's bind does, when a fixed port is already taken. The kernel lets
 * any socket of the same user join a port's SO_REUSEPORT group, so a second daemon started on
 * the same bind would otherwise come up and silently take a share of the first one's peers; a
 * socket bound once without the option fails instead. (Port 0 gets a free port anyway.)
 */
function claimPort(config: Config, bind: BindAddress): void {
  if (!bind.port) return;
  closeSocket(openBind(config, bind, -1).socket);
}

/**
 * fastd's bind_addr_default_v4/v6 as fastd_socket_open uses it: the bind outgoing
 * connections to `family` go from; undefined when other families are bound but not this one.
 */
export function outgoingBind(config: Config, family: 4 | 6): BindAddress | undefined {
  if (config.binds.length === 0) return BIND_ANY;
  const index = family === 4 ? config.defaultBind.ipv4 : config.defaultBind.ipv6;
  return index === undefined ? undefined : config.binds[index];
}

export function socketSpec(bound: BoundSocket): SocketSpec {
  return { socketId: bound.socketId, fd: bound.socket.fd, family: bound.socket.family === AddressFamily.INET6 ? 6 : 4 };
}

/** The socket opened at start for a bind with a port. */
export function socketOf(sockets: readonly BoundSocket[], bind: BindAddress): BoundSocket | undefined {
  return sockets.find((bound) => bound.bind === bind);
}

/** The socket's bound address for hooks; undefined for a wildcard, which names no address. */
export function boundEndpoint(bound: BoundSocket): Endpoint | undefined {
  const { address, port, scopeId } = bound.socket.local;
  if (address === '::' || address === '0.0.0.0') return undefined;
  return { family: address.includes(':') ? 6 : 4, address, port, scopeId: scopeId ?? 0 };
}

/** fastd's "bound to %B" line: `any:port` for `any`, `[address]:port` for IPv6, the interface named unless it is the scope of a link-local address. */
export function boundToText(bound: BoundSocket): string {
  const { bind } = bound;
  const { port } = bound.socket.local;
  const linkLocal = bind.family === 'ipv6' && /^fe[89ab]/i.test(bind.address);
  let address: string;
  if (bind.family === 'any') address = `any:${port}`;
  else if (bind.family === 'ipv6') address = `[${bind.address}${linkLocal && bind.interface ? `%${bind.interface}` : ''}]:${port}`;
  else address = `${bind.address}:${port}`;
  return bind.interface !== undefined && !linkLocal ? `bound to ${address} on \`${bind.interface}'` : `bound to ${address}`;
}

export function closeSockets(sockets: readonly BoundSocket[]): void {
  for (const bound of sockets) closeSocket(bound.socket);
}
