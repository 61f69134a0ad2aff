// TUN/TAP interfaces through /dev/net/tun, as fastd opens them (src/iface.c) plus what the
// batched datapath needs: IFF_NO_PI always (fastd carries no packet-info header),
// IFF_MULTI_QUEUE for one queue per worker, IFF_VNET_HDR with TUNSETOFFLOAD so the kernel
// may hand over TSO super-frames. Interface settings (MTU, up, MAC) go through ioctls on an
// AF_INET datagram socket, as in fastd.
import { OS_PAGE_BYTES } from '../bufferpool/packet-memory.js';
import { check, close, ioctl, open, socket } from './libc.js';
import {
  AddressFamily,
  FileFlag,
  IFNAMSIZ,
  Ifreq,
  InterfaceFlag,
  Protocol,
  SiocIoctl,
  SocketType,
  TunFlag,
  TunIoctl,
  VirtioNetHdr,
} from './linux-abi.js';
import { NativeArea } from './native-memory.js';

export const TUN_DEVICE = '/dev/net/tun';

export interface TunTapOptions {
  readonly kind: 'tap' | 'tun';
  /** Exact name, or a template with %d the kernel fills in (fastd's default: none, i.e. tap%d / tun%d). */
  readonly name?: string;
  /** Open another queue of a multi-queue interface (use the same name for every queue). */
  readonly multiQueue?: boolean;
  /** Prefix each frame with a virtio_net_hdr (VirtioNetHdr.SIZE bytes) carrying GSO/checksum info. */
  readonly vnetHeader?: boolean;
  /** TUNSETOFFLOAD bits (TunOffload); needs vnetHeader. */
  readonly offloads?: number;
  readonly mtu?: number;
  /** Bring the interface up after configuring it. */
  readonly up?: boolean;
}

export interface TunTap {
  readonly fd: number;
  /** The name the kernel gave the interface. */
  readonly name: string;
  readonly kind: 'tap' | 'tun';
}

// One ifreq and an int argument, per thread, used at setup time only.
const IFREQ_AT = 0;
const INT_ARG_AT = 64;
let scratchArea: NativeArea | null = null;

function scratch(): NativeArea {
  scratchArea ??= new NativeArea(OS_PAGE_BYTES, 'ifreq');
  return scratchArea;
}

// A fresh socket per call: interface ioctls act in the socket's network namespace, and
// the caller's namespace may have changed since the last call (setup time only, so cheap).
function interfaceIoctl(request: number, what: string): void {
  const fd = check(socket(AddressFamily.INET, SocketType.DGRAM | SocketType.CLOEXEC, Protocol.IP), 'socket for interface ioctls');
  try {
    ifreqIoctl(fd, request, what);
  } finally {
    close(fd);
  }
}

function writeIfreqName(name: string): void {
  const area = scratch();
  const bytes = Buffer.from(name, 'utf8');
  if (bytes.length >= IFNAMSIZ) throw new RangeError(`interface name too long (at most ${IFNAMSIZ - 1} bytes): ${name}`);
  area.bytes.fill(0, IFREQ_AT, IFREQ_AT + Ifreq.SIZE);
  area.bytes.set(bytes, IFREQ_AT + Ifreq.NAME);
}

function readIfreqName(): string {
  const nameBytes = scratch().bytes.subarray(IFREQ_AT + Ifreq.NAME, IFREQ_AT + Ifreq.NAME + IFNAMSIZ);
  const end = nameBytes.indexOf(0);
  return Buffer.from(nameBytes.subarray(0, end < 0 ? IFNAMSIZ : end)).toString('utf8');
}

function ifreqIoctl(fd: number, request: number, what: string): void {
  check(ioctl(fd, request, scratch().address + IFREQ_AT), what);
}

function intIoctl(fd: number, request: number, value: number, what: string): void {
  const area = scratch();
  area.view.setInt32(INT_ARG_AT, value, true);
  check(ioctl(fd, request, area.address + INT_ARG_AT), what);
}

/** Opens (creating if needed) a TUN or TAP interface and configures it; throws a SystemError naming the failed step. */
export function openTunTap(options: TunTapOptions): TunTap {
  const flags = FileFlag.RDWR | FileFlag.CLOEXEC | FileFlag.NONBLOCK;
  const fd = check(open(TUN_DEVICE, flags, 0), `open ${TUN_DEVICE}`);
  try {
    writeIfreqName(options.name ?? '');
    let ifrFlags = (options.kind === 'tap' ? TunFlag.TAP : TunFlag.TUN) | TunFlag.NO_PI;
    if (options.multiQueue) ifrFlags |= TunFlag.MULTI_QUEUE;
    if (options.vnetHeader) ifrFlags |= TunFlag.VNET_HDR;
    scratch().view.setUint16(IFREQ_AT + Ifreq.FLAGS, ifrFlags, true);
    ifreqIoctl(fd, TunIoctl.SETIFF, 'TUNSETIFF (open TUN/TAP interface)');
    const name = readIfreqName();
    if (options.vnetHeader) intIoctl(fd, TunIoctl.SETVNETHDRSZ, VirtioNetHdr.SIZE, 'TUNSETVNETHDRSZ');
    if (options.offloads !== undefined) setOffloads(fd, options.offloads);
    if (options.mtu !== undefined) setMtu(name, options.mtu);
    if (options.up) setUp(name, true);
    return { fd, name, kind: options.kind };
  } catch (error) {
    close(fd);
    throw error;
  }
}

/** TUNSETOFFLOAD (value passed directly): which offloaded frames (TunOffload bits) the kernel may write to us. */
export function setOffloads(fd: number, offloads: number): void {
  check(ioctl(fd, TunIoctl.SETOFFLOAD, offloads), 'TUNSETOFFLOAD');
}

export function getMtu(name: string): number {
  writeIfreqName(name);
  interfaceIoctl(SiocIoctl.GIFMTU, `SIOCGIFMTU ${name}`);
  return scratch().view.getInt32(IFREQ_AT + Ifreq.MTU, true);
}

/** Sets the MTU unless it already is that (as fastd does, so an unprivileged restart works). */
export function setMtu(name: string, mtu: number): void {
  if (getMtu(name) === mtu) return;
  writeIfreqName(name);
  scratch().view.setInt32(IFREQ_AT + Ifreq.MTU, mtu, true);
  interfaceIoctl(SiocIoctl.SIFMTU, `SIOCSIFMTU ${name} ${mtu}`);
}

export function setUp(name: string, up: boolean): void {
  writeIfreqName(name);
  interfaceIoctl(SiocIoctl.GIFFLAGS, `SIOCGIFFLAGS ${name}`);
  const view = scratch().view;
  const flags = view.getUint16(IFREQ_AT + Ifreq.FLAGS, true);
  view.setUint16(IFREQ_AT + Ifreq.FLAGS, up ? flags | InterfaceFlag.UP : flags & ~InterfaceFlag.UP, true);
  interfaceIoctl(SiocIoctl.SIFFLAGS, `SIOCSIFFLAGS ${name}`);
}

/** The interface's MAC address as aa:bb:cc:dd:ee:ff (all zero for a TUN). */
export function hardwareAddress(name: string): string {
  writeIfreqName(name);
  interfaceIoctl(SiocIoctl.GIFHWADDR, `SIOCGIFHWADDR ${name}`);
  const bytes = scratch().bytes.subarray(IFREQ_AT + Ifreq.HWADDR_DATA, IFREQ_AT + Ifreq.HWADDR_DATA + 6);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(':');
}

export function closeTunTap(device: TunTap): void {
  close(device.fd);
}
