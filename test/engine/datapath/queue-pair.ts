// A socketpair standing in for a TUN/TAP queue (as the pipeline warm-up uses one): the
// datapath gets one end as the queue's fd and reads, frame by frame, what a test writes into
// the other end.
import { check, close, socketpair, write } from '../../../src/io/libc.js';
import { AddressFamily, SocketType } from '../../../src/io/linux-abi.js';
import { NativeArea } from '../../../src/io/native-memory.js';

export interface QueuePair {
  /** The queue's end, for the datapath (which closes it with the interface). */
  readonly fd: number;
  /** Writes one frame into the queue. */
  write(frame: readonly number[]): void;
  /** Closes the test's end. */
  close(): void;
}

export function queuePair(): QueuePair {
  const pair = new Int32Array(2);
  check(socketpair(AddressFamily.UNIX, SocketType.DGRAM | SocketType.NONBLOCK | SocketType.CLOEXEC, 0, pair), 'socketpair');
  const far = pair[1]!;
  const area = new NativeArea(65536, 'queue pair frame');
  return {
    fd: pair[0]!,
    write(frame) {
      area.bytes.set(frame);
      check(write(far, area.address, frame.length), 'write to the queue');
    },
    close() {
      close(far);
      area.release();
    },
  };
}
