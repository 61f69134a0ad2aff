// The control plane's own datagrams (handshakes), sent from the main thread straight onto the
// socket: it holds every socket's fd beside the workers' duplicates. Handing a packet to a
// datapath worker instead costs a message, a wake-up and a copy into the worker's pool,
// more than the sendmmsg(2) itself (in the supernode bench, about a third of the CPU of an
// answered init). The datagram is written exactly as a worker's send writes it: the same
// sockaddr and pktinfo layout through the same msghdr table, and, as fastd's send.c, again
// without the local address when the kernel refuses it.
import { createDatagramBatch } from '../../io/batch.js';
import { clearLocal, hasLocal } from '../../io/control-messages.js';
import { Errno, errno, sendmmsg } from '../../io/libc.js';
import { MessageFlag } from '../../io/linux-abi.js';
import { MessageTable, refusesLocal } from '../../io/message-table.js';
import { packetMemory } from '../../io/native-memory.js';
import { writeSockaddr } from '../../io/sockaddr.js';
import { MAX_HANDSHAKE_SIZE } from '../../protocol/wire.js';
import type { Endpoint } from '../datapath/messages.js';

/** One WebAssembly page: the packet memory the msghdr table points into (it must never move). */
const MEMORY_PAGES = 1;

/** Lives as long as the daemon: its memory goes with the process. */
export class ControlSender {
  private readonly memory = packetMemory(new WebAssembly.Memory({ initial: MEMORY_PAGES, maximum: MEMORY_PAGES, shared: true }));
  private readonly batch = createDatagramBatch(1);
  private readonly table = new MessageTable(this.memory, 1);

  /**
   * Sends `packet` on `fd` to `endpoint`, from `local` where given. A full socket buffer or
   * any other error drops it, as fastd drops it: the handshake's own retries cover a loss.
   */
  send(fd: number, endpoint: Endpoint, local: Endpoint | undefined, packet: Uint8Array): void {
    if (packet.length > MAX_HANDSHAKE_SIZE) throw new RangeError(`a ${packet.length}-byte control packet (at most ${MAX_HANDSHAKE_SIZE})`);
    const batch = this.batch;
    this.memory.bytes.set(packet, 0);
    batch.count = 1;
    batch.offsets[0] = 0;
    batch.lengths[0] = packet.length;
    writeSockaddr(batch.addresses, 0, endpoint);
    if (local) writeSockaddr(batch.locals, 0, local);
    else clearLocal(batch, 0);
    for (;;) {
      this.table.planSends(batch, 0, false);
      if (sendmmsg(fd, this.table.messages, 1, MessageFlag.DONTWAIT) === 1) return;
      const code = errno();
      if (code === Errno.EINTR) continue;
      if (!refusesLocal(code) || !hasLocal(batch, 0)) return;
      clearLocal(batch, 0);
    }
  }
}
