// Loopback UDP sockets standing in for a datapath's peers under the null method: the test
// frames carry a tag byte after the Ethernet header, and tagsArrived reads back which tags
// each peer's socket received.
import { FallbackDatagramIo } from '../../../src/io/batch-fallback.js';
import { createDatagramBatch } from '../../../src/io/batch.js';
import type { PacketMemory } from '../../../src/io/native-memory.js';
import type { UdpSocket } from '../../../src/io/udp.js';
import { pause } from '../../helpers/pause.js';

/** The tag bytes each peer's socket received since the last call, read into memory. */
export function tagsArrived(peers: readonly UdpSocket[], memory: PacketMemory): number[][] {
  return peers.map((peer) => {
    const io = new FallbackDatagramIo(peer.fd, memory, { capacity: 8, gso: false });
    const batch = createDatagramBatch(8);
    const tags: number[] = [];
    let empty = 0;
    // loopback delivery finishes in softirq context: an empty read gets one more chance after a pause
    while (empty < 2) {
      for (let i = 0; i < 8; i++) {
        batch.offsets[i] = i * 2048;
        batch.lengths[i] = 2048;
      }
      const n = io.receive(batch);
      // a null-method packet: type byte 0x00, then the frame; the tag is the frame's 15th byte
      for (let i = 0; i < n; i++) tags.push(memory.bytes[batch.offsets[i] + 1 + 14]);
      if (n === 0 && ++empty < 2) pause(20);
    }
    io.close();
    return tags;
  });
}
