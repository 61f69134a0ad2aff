// The control plane's own sends over loopback: the packet as given, to the endpoint, from the
// local address a wildcard socket was reached at, and without it when the kernel refuses it.
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import type { Endpoint } from '../../../src/engine/datapath/messages.js';
import { ControlSender } from '../../../src/engine/net/control-sender.js';
import { MAX_HANDSHAKE_SIZE } from '../../../src/protocol/wire.js';
import { socketsClosedAfterEach } from '../../io/sockets.js';

const open = socketsClosedAfterEach();
const receivers: Socket[] = [];
afterEach(() => {
  for (const socket of receivers.splice(0)) socket.close();
});

const v4 = (address: string, port = 0): Endpoint => ({ family: 4, address, port, scopeId: 0 });

/** A receiving socket on 127.0.0.1 and the next datagram it gets. */
async function receiver(): Promise<{ endpoint: Endpoint; next: () => Promise<[Buffer, RemoteInfo]> }> {
  const socket = createSocket('udp4');
  receivers.push(socket);
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const next = () => new Promise<[Buffer, RemoteInfo]>((resolve) => socket.once('message', (data, from) => resolve([data, from])));
  return { endpoint: v4('127.0.0.1', socket.address().port), next };
}

describe('ControlSender', () => {
  const sender = new ControlSender();

  it('sends the packet as it is, from the local address given on a wildcard socket', async () => {
    const socket = open({ address: '0.0.0.0', port: 0, pktinfo: true });
    const to = await receiver();
    const packet = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
    const arrived = to.next();
    sender.send(socket.fd, to.endpoint, v4('127.0.0.2'), packet);
    const [data, from] = await arrived;
    expect(new Uint8Array(data)).toEqual(packet);
    expect(from).toMatchObject({ address: '127.0.0.2', port: socket.local.port });
  });

  it('sends from where the route says when the kernel refuses the local address, as fastd does', async () => {
    const socket = open({ address: '0.0.0.0', port: 0, pktinfo: true });
    const to = await receiver();
    const arrived = to.next();
    sender.send(socket.fd, to.endpoint, v4('192.0.2.1'), Uint8Array.of(1, 2, 3));
    const [data, from] = await arrived;
    expect([...data]).toEqual([1, 2, 3]);
    expect(from).toMatchObject({ address: '127.0.0.1', port: socket.local.port });
  });

  it('reaches an IPv4 peer from a dual-stack socket, and refuses a packet larger than a handshake', async () => {
    const socket = open({ address: null, port: 0 });
    const to = await receiver();
    const arrived = to.next();
    sender.send(socket.fd, to.endpoint, undefined, Uint8Array.of(9));
    expect([...(await arrived)[0]]).toEqual([9]);
    expect(() => sender.send(socket.fd, to.endpoint, undefined, new Uint8Array(MAX_HANDSHAKE_SIZE + 1))).toThrow(RangeError);
  });
});
