// `drop capabilities` (fastd's capabilities.c): the daemon starts as root, keeps its
// capabilities across the switch to `user`, and then retains only what it still needs —
// CAP_NET_ADMIN while it must create interfaces for peers that come later, and what per-peer
// sockets need — and drops the rest.
// Capabilities are per thread in Linux; the main thread is the one that opens interfaces.
import type { Config } from '../../config/types.js';
import { setThreadCapabilities } from '../../io/capabilities.js';
import { prctl } from '../../io/libc.js';
import { log } from '../../log/logger.js';
import { outgoingBind } from '../net/sockets.js';

/** linux/capability.h bit numbers. */
const Capability = { NetAdmin: 12, NetRaw: 13 } as const;
/** linux/prctl.h. */
const PR_SET_KEEPCAPS = 8;

/** fastd_config_persistent_ifaces: every interface exists from the start. */
function persistentInterfaces(config: Config): boolean {
  if (config.mode === 'tap') return true;
  if (!config.persistInterface || config.onVerify) return false;
  const stack = [config.peerGroup];
  for (let group = stack.pop(); group; group = stack.pop()) {
    if (group.peerDirs.length > 0) return false;
    stack.push(...group.children);
  }
  return true;
}

/**
 * The capabilities the running daemon still needs (fastd's need_cap_*): CAP_NET_ADMIN for
 * interfaces opened later, and for SO_MARK on per-peer sockets (a port-less bind) when no
 * outgoing bind has a socket of its own; CAP_NET_RAW for their SO_BINDTODEVICE.
 */
export function neededCapabilities(config: Config): number[] {
  const needed: number[] = [];
  const outgoing = [outgoingBind(config, 4), outgoingBind(config, 6)];
  const perPeer = outgoing.filter((bind) => bind !== undefined && bind.port === undefined);
  const interfacesLater = !persistentInterfaces(config) && config.dropCapabilities !== 'force';
  const marksLater = config.packetMark !== 0 && !outgoing.some((bind) => bind?.port !== undefined);
  if (interfacesLater || marksLater) needed.push(Capability.NetAdmin);
  if (perPeer.some((bind) => bind!.interface !== undefined)) needed.push(Capability.NetRaw);
  return needed;
}

/** fastd_cap_acquire: the capabilities survive the change to `user` (prctl PR_SET_KEEPCAPS). */
export function keepCapabilities(): void {
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) log.warn('prctl(PR_SET_KEEPCAPS) failed');
}

/** fastd_cap_reacquire_drop: exactly `capabilities` stay permitted and effective, all others go. */
export function retainOnly(capabilities: readonly number[]): void {
  setThreadCapabilities(capabilities);
  log.verbose('dropped capabilities');
}
