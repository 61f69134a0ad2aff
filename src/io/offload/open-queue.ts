// Opening a TUN/TAP queue with the offloads OffloadFrameIo handles, and without them where
// the kernel refuses (TUNSETOFFLOAD is older than IFF_VNET_HDR, and a sandbox may block it):
// the interface then works as before, frame by frame.
import { SystemError } from '../libc.js';
import { TunOffload } from '../linux-abi.js';
import { openTunTap, type TunTap, type TunTapOptions } from '../tuntap.js';

/** What we let the kernel hand over: partial checksums, TCP super-frames over IPv4 and IPv6 (no ECN-marked TSO, no UDP). */
export const TCP_OFFLOADS = TunOffload.CSUM | TunOffload.TSO4 | TunOffload.TSO6;

export interface OffloadedQueue {
  readonly device: TunTap;
  /** Frames carry a virtio_net_hdr (wrap the queue's I/O in OffloadFrameIo). */
  readonly vnetHeader: boolean;
}

/**
 * Opens the queue with IFF_VNET_HDR and TCP_OFFLOADS when `offloads` is set; if the kernel
 * refuses the header or the offloads, opens it plainly and tells `onRefused` why.
 */
export function openOffloadedQueue(options: TunTapOptions, offloads: boolean, onRefused: (reason: string) => void): OffloadedQueue {
  if (!offloads) return { device: openTunTap(options), vnetHeader: false };
  try {
    return { device: openTunTap({ ...options, vnetHeader: true, offloads: TCP_OFFLOADS }), vnetHeader: true };
  } catch (error) {
    if (!(error instanceof SystemError) || !/TUNSETVNETHDRSZ|TUNSETOFFLOAD|TUNSETIFF/.test(error.operation)) throw error;
    const device = openTunTap(options);
    onRefused(error.message);
    return { device, vnetHeader: false };
  }
}
