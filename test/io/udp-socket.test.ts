// UDP sockets as fastd makes them: dual-stack `any`, PMTU discovery off, SO_MARK,
// SO_REUSEPORT, UDP_GRO and SO_BINDTODEVICE (udp-socket.e2e.test.ts: buffers past the caps).
import { describe, expect, it } from 'vitest';
import { createDatagramBatch } from '../../src/io/batch.js';
import { FallbackDatagramIo } from '../../src/io/batch-fallback.js';
import { getsockopt } from '../../src/io/libc.js';
import { IpOption, Ipv6Option, Protocol, SOL_SOCKET, SOL_UDP, SocketOption, UdpOption } from '../../src/io/linux-abi.js';
import { NativeArea } from '../../src/io/native-memory.js';
import { readSockaddr, writeSockaddr } from '../../src/io/sockaddr.js';
import { openUdpSocket } from '../../src/io/udp.js';
import { testPacketMemory } from '../helpers/packet-memory.js';
import { intOption, socketsClosedAfterEach } from './sockets.js';

const open = socketsClosedAfterEach();

describe('UDP sockets as fastd makes them', () => {
  it('`any` is an IPv6 dual-stack socket (IPV6_V6ONLY off) with PMTU discovery off', () => {
    const s = open({ address: null, port: 0 });
    expect(s.family).toBe(10);
    expect(s.local).toMatchObject({ address: '::' });
    expect(s.local.port).toBeGreaterThan(0);
    expect(intOption(s.fd, Protocol.IPV6, Ipv6Option.V6ONLY)).toBe(0);
    expect(intOption(s.fd, Protocol.IP, IpOption.MTU_DISCOVER)).toBe(IpOption.PMTUDISC_DONT);
  });

  it('an explicit IPv6 address gets an IPv6-only socket; IPv4 an AF_INET one', () => {
    const v6 = open({ address: '::1', port: 0 });
    expect(intOption(v6.fd, Protocol.IPV6, Ipv6Option.V6ONLY)).toBe(1);
    const v4 = open({ address: '127.0.0.1', port: 0 });
    expect(v4.family).toBe(2);
    expect(v4.local).toEqual({ address: '127.0.0.1', port: v4.local.port });
  });

  it('sets SO_MARK, SO_REUSEPORT and UDP_GRO when asked, and two sockets share a port with SO_REUSEPORT', () => {
    const a = open({ address: '127.0.0.1', port: 0, mark: 0x42, reusePort: true, gro: true });
    expect(intOption(a.fd, SOL_SOCKET, SocketOption.MARK)).toBe(0x42);
    expect(intOption(a.fd, SOL_SOCKET, SocketOption.REUSEPORT)).toBe(1);
    expect(intOption(a.fd, SOL_UDP, UdpOption.GRO)).toBe(1);
    const b = open({ address: '127.0.0.1', port: a.local.port, reusePort: true });
    expect(b.local.port).toBe(a.local.port);
    expect(() => open({ address: '127.0.0.1', port: a.local.port })).toThrow(/bind 127\.0\.0\.1:\d+: Address already in use/);
  });

  it('binds to an interface with SO_BINDTODEVICE', () => {
    const s = open({ address: null, port: 0, interface: 'lo' });
    const area = new NativeArea(32, 'getsockopt');
    try {
      area.view.setUint32(24, 16, true);
      expect(getsockopt(s.fd, SOL_SOCKET, SocketOption.BINDTODEVICE, area.address, area.address + 24)).toBe(0);
      expect(Buffer.from(area.bytes.subarray(0, 2)).toString()).toBe('lo');
    } finally {
      area.release();
    }
  });

  it('a dual-stack socket sees IPv4 peers as IPv4-mapped addresses', () => {
    const mem = testPacketMemory(2);
    const server = open({ address: null, port: 0 });
    const client = open({ address: '127.0.0.1', port: 0 });
    const io = new FallbackDatagramIo(client.fd, mem, { capacity: 1, gso: false });
    const batch = createDatagramBatch(1);
    batch.offsets[0] = 0;
    batch.lengths[0] = 10;
    batch.count = 1;
    writeSockaddr(batch.addresses, 0, { address: '127.0.0.1', port: server.local.port });
    expect(io.send(batch)).toBe(1);
    const serverIo = new FallbackDatagramIo(server.fd, mem, { capacity: 1, gso: false });
    batch.lengths[0] = 2048;
    expect(serverIo.receive(batch)).toBe(1);
    expect(readSockaddr(batch.addresses, 0)).toEqual({ address: '::ffff:127.0.0.1', port: client.local.port, scopeId: 0 });
    io.close();
    serverIo.close();
  });

  it('reports a clear error for an address it cannot bind', () => {
    expect(() => openUdpSocket({ address: '192.0.2.1', port: 0 })).toThrow(/bind 192\.0\.2\.1:0: Cannot assign requested address/);
  });
});
