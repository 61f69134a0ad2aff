// Socket buffers past net.core.rmem_max/wmem_max, which only root may ask for.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SOL_SOCKET, SocketOption } from '../../src/io/linux-abi.js';
import { forceSocketBuffers } from '../../src/io/udp.js';
import { isRoot, requireSystem } from '../helpers/prereq.js';
import { intOption, socketsClosedAfterEach } from './sockets.js';

const open = socketsClosedAfterEach();

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
