// TUN/TAP interfaces as fastd creates them (src/iface.c): one for the whole daemon in TAP
// mode (and in TUN mode with a single static peer), otherwise one per peer, named from the
// `interface` pattern with `%n` (peer name) or `%k` (first 16 hex digits of its key).
import type { Config, PeerConfig } from '../../config/types.js';
import { openOffloadedQueue, TCP_OFFLOADS } from '../../io/offload/open-queue.js';
import { Errno, SystemError } from '../../io/libc.js';
import { IFNAMSIZ } from '../../io/linux-abi.js';
import { closeTunTap, openTunTap, type TunTap } from '../../io/tuntap.js';
import { log } from '../../log/logger.js';
import type { InterfaceSpec } from '../datapath/messages.js';

/** Linux's IFNAMSIZ less the terminating NUL. */
const MAX_INTERFACE_NAME = IFNAMSIZ - 1;

export interface OpenInterface {
  readonly device: TunTap;
  /** TAP mode with several datapath workers: the interface's further queues (IFF_MULTI_QUEUE), one per worker after the first. */
  readonly extraQueues: readonly TunTap[];
  readonly interfaceId: number;
  readonly mtu: number;
  /** Its queues carry a virtio_net_hdr and may hand over TCP super-frames (the datapath wraps them in OffloadFrameIo). */
  readonly vnetHeader?: boolean;
}

export class InterfaceError extends Error {
  override name = 'InterfaceError';
}

/** fastd_config_single_iface: TAP, or TUN/multitap with exactly one static peer and nothing that adds peers later. */
export function usesSingleInterface(config: Config, staticPeers: number): boolean {
  if (config.mode === 'tap') return true;
  if (config.onVerify) return false;
  if (hasPeerDirs(config)) return false;
  return staticPeers === 1;
}

function hasPeerDirs(config: Config): boolean {
  const stack = [config.peerGroup];
  for (let group = stack.pop(); group; group = stack.pop()) {
    if (group.peerDirs.length > 0) return true;
    stack.push(...group.children);
  }
  return false;
}

/** fastd_peer_get_mtu. */
export function peerMtu(config: Config, peer: PeerConfig | undefined): number {
  if (config.mode === 'tap') return config.mtu;
  return peer?.mtu ?? config.mtu;
}

/**
 * fastd_iface_format_name: the name to ask the kernel for, '' for the kernel's own choice.
 * Throws an InterfaceError for a pattern the peer cannot fill.
 */
export function interfaceName(config: Config, peer: PeerConfig | undefined, single: boolean): string {
  let pattern = config.interface;
  if (peer) {
    if (peer.interface !== undefined) pattern = peer.interface;
    else if (!single && !(pattern?.includes('%') ?? false)) pattern = undefined;
  }
  if (pattern === undefined) return '';
  const percent = pattern.indexOf('%');
  if (percent < 0) return truncate(pattern);
  if (!peer) throw new InterfaceError("invalid TUN/TAP device name: `%n' and `%k' patterns can't be used in TAP mode");
  const prefix = pattern.slice(0, percent);
  const suffix = pattern.slice(percent + 2);
  if (pattern[percent + 1] === 'n') {
    if (peer.name === undefined) throw new InterfaceError("invalid `%n' interface pattern for peer without name");
    return truncate(prefix + peer.name + suffix);
  }
  return truncate(prefix + peer.key.slice(0, 16) + suffix);
}

function truncate(name: string): string {
  const bytes = Buffer.from(name, 'utf8');
  return bytes.length <= MAX_INTERFACE_NAME ? name : bytes.subarray(0, MAX_INTERFACE_NAME).toString('utf8');
}

let nextInterfaceId = 0;
let offloadsRefusedReported = false;

function reportOffloadsRefused(reason: string): void {
  if (offloadsRefusedReported) return;
  offloadsRefusedReported = true;
  log.warn(`TUN/TAP offloads unavailable, frames go one by one: ${reason}`);
}

/**
 * Creates (or attaches to) the interface, sets its MTU and brings it up. `queues` > 1 opens
 * it with IFF_MULTI_QUEUE and that many queues, all with the same flags (the kernel refuses
 * a queue whose flags differ). `offloads` asks for the vnet header and TSO offloads, which
 * it goes without (saying so once) where the kernel refuses them.
 */
export function openInterface(config: Config, name: string, mtu: number, queues = 1, offloads = false): OpenInterface {
  const kind = config.mode === 'tun' ? 'tun' : 'tap';
  // fastd never sets the kernel's persist flag (`persist interface` only says when per-peer
  // interfaces open and close): the interface goes with its last fd, when the daemon exits.
  const multiQueue = queues > 1;
  const options = { kind, name: name === '' ? undefined : name, mtu, up: true, multiQueue } as const;
  log.debug('initializing TUN/TAP device...');
  const { device, vnetHeader } = openFirstQueue(options, offloads);
  // the vnet header is a flag of the device, not of one queue: every queue must ask for it alike
  const queueOffloads = vnetHeader ? { vnetHeader, offloads: TCP_OFFLOADS } : {};
  const extraQueues: TunTap[] = [];
  try {
    while (extraQueues.length < queues - 1) extraQueues.push(openTunTap({ kind, name: device.name, multiQueue, ...queueOffloads }));
  } catch (error) {
    for (const queue of [device, ...extraQueues]) closeTunTap(queue);
    throw error;
  }
  log.debug(`TUN/TAP device \`${device.name}' initialized.`);
  return { device, extraQueues, interfaceId: nextInterfaceId++, mtu, vnetHeader };
}

function openFirstQueue(options: Parameters<typeof openOffloadedQueue>[0], offloads: boolean): ReturnType<typeof openOffloadedQueue> {
  try {
    return openOffloadedQueue(options, offloads, reportOffloadsRefused);
  } catch (error) {
    // the kernel refuses a queue whose flags differ from the existing device's
    if (options.multiQueue && error instanceof SystemError && error.code === Errno.EINVAL && options.name !== undefined) {
      throw new InterfaceError(
        `interface ${options.name} exists without multi-queue support (persistent from an earlier run?), ` +
          'but every datapath worker needs a queue of it: delete it, or configure `workers 1;`',
      );
    }
    throw error;
  }
}

/** Closes the interface; the kernel removes it with its last fd (unless the admin made it persistent). */
export function closeInterface(iface: OpenInterface): void {
  for (const queue of iface.extraQueues) closeTunTap(queue);
  closeTunTap(iface.device);
}

/** The interface as a worker gets it; `queue` picks one of a multi-queue TAP's queues. */
export function interfaceSpec(iface: OpenInterface, queue = 0): InterfaceSpec {
  return {
    interfaceId: iface.interfaceId,
    fd: queue === 0 ? iface.device.fd : iface.extraQueues[queue - 1]!.fd,
    name: iface.device.name,
    kind: iface.device.kind,
    mtu: iface.mtu,
    vnetHeader: iface.vnetHeader === true,
  };
}
