import { afterEach, describe, expect, it } from 'vitest';
import { createDatagramBatch } from '../../src/io/batch.js';
import { FallbackDatagramIo } from '../../src/io/batch-fallback.js';
import { getsockopt } from '../../src/io/libc.js';
import { IpOption, Ipv6Option, Protocol, SOL_SOCKET, SOL_UDP, SocketOption, UdpOption } from '../../src/io/linux-abi.js';
import { NativeArea } from '../../src/io/native-memory.js';
import { readSockaddr, writeSockaddr } from '../../src/io/sockaddr.js';
import { closeSocket, forceSocketBuffers, openUdpSocket, type UdpSocket } from '../../src/io/udp.js';
import { readFileSync } from 'node:fs';
import { isRoot, requireSystem } from '../helpers/prereq.js';
import { testPacketMemory } from './memory.js';

const opened: UdpSocket[] = [];
afterEach(() => {
  for (const s of opened.splice(0)) closeSocket(s);
});

function open(options: Parameters<typeof openUdpSocket>[0]): UdpSocket {
  const s = openUdpSocket(options);
  opened.push(s);
  return s;
}

function intOption(fd: number, level: number, name: number): number {
  const area = new NativeArea(16, 'getsockopt');
  try {
    area.view.setUint32(8, 4, true);
    expect(getsockopt(fd, level, name, area.address, area.address + 8)).toBe(0);
    return area.view.getInt32(0, true);
  } finally {
    area.release();
  }
}

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

describe.runIf(requireSystem('socket buffers past the sysctl caps', { root: isRoot }))('socket buffers', () => {
  it('forceSocketBuffers goes past net.core.rmem_max/wmem_max for a root process', () => {
    const s = open({ address: '127.0.0.1', port: 0 });
    const caps = ['rmem_max', 'wmem_max'].map((name) => Number(readFileSync(`/proc/sys/net/core/${name}`, 'utf8')));
    const wanted = 2 * Math.max(...caps);
    forceSocketBuffers(s.fd, wanted, wanted);
    // the kernel doubles what it is given, for its bookkeeping
    expect(intOption(s.fd, SOL_SOCKET, SocketOption.RCVBUF)).toBe(2 * wanted);
    expect(intOption(s.fd, SOL_SOCKET, SocketOption.SNDBUF)).toBe(2 * wanted);
  });
});
