// Frames with a virtio_net_hdr of the test's choosing, transmitted on a network device in a
// namespace through AF_PACKET with PACKET_VNET_HDR (send-vnet-frames.py does the sending):
// on a TAP device that advertises TSO, the kernel hands a GSO frame to the TAP's reader as
// it is, so a daemon reading that TAP gets the super-frame the test wrote.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Namespace } from '../../src/testbed/namespaces.js';

const SENDER = fileURLToPath(new URL('./send-vnet-frames.py', import.meta.url));
/** AF_PACKET's header is struct virtio_net_hdr; a TAP reader's (and frames.ts's) adds num_buffers. */
const PACKET_VNET_HDR_SIZE = 10;
const TAP_VNET_HDR_SIZE = 12;
const RECORD_LENGTH_SIZE = 4;

/**
 * Transmits each record (a TAP-style 12-byte virtio_net_hdr, then the frame) on `device`
 * in `namespace`, in order. Returns, per record, 0 when the kernel took it, else the errno
 * it refused it with. `dir` holds the records file the sender reads.
 */
export async function transmitWithVnetHeader(namespace: Namespace, device: string, dir: string, records: readonly Uint8Array[]): Promise<number[]> {
  const parts: Uint8Array[] = [];
  for (const record of records) {
    const length = new Uint8Array(RECORD_LENGTH_SIZE);
    new DataView(length.buffer).setUint32(0, record.length - (TAP_VNET_HDR_SIZE - PACKET_VNET_HDR_SIZE));
    parts.push(length, record.subarray(0, PACKET_VNET_HDR_SIZE), record.subarray(TAP_VNET_HDR_SIZE));
  }
  const file = join(dir, 'vnet-frames.bin');
  writeFileSync(file, Buffer.concat(parts));
  const result = await namespace.run('python3', [SENDER, device, file]);
  if (result.code !== 0) throw new Error(`send-vnet-frames.py failed (${result.code}): ${result.stderr}`);
  return JSON.parse(result.stdout) as number[];
}
