// UDP sockets for the io tests: opened through the daemon's openUdpSocket and closed after
// each test, and their integer socket options read back with getsockopt.
import { afterEach, expect } from 'vitest';
import { getsockopt } from '../../src/io/libc.js';
import { NativeArea } from '../../src/io/native-memory.js';
import { closeSocket, openUdpSocket, type UdpSocket } from '../../src/io/udp.js';

/** Returns an opener whose sockets are closed after each test of the calling file. */
export function socketsClosedAfterEach(): (options: Parameters<typeof openUdpSocket>[0]) => UdpSocket {
  const opened: UdpSocket[] = [];
  afterEach(() => {
    for (const s of opened.splice(0)) closeSocket(s);
  });
  return (options) => {
    const s = openUdpSocket(options);
    opened.push(s);
    return s;
  };
}

/** An int-valued socket option of fd. */
export function intOption(fd: number, level: number, name: number): number {
  const area = new NativeArea(16, 'getsockopt');
  try {
    area.view.setUint32(8, 4, true);
    expect(getsockopt(fd, level, name, area.address, area.address + 8)).toBe(0);
    return area.view.getInt32(0, true);
  } finally {
    area.release();
  }
}
