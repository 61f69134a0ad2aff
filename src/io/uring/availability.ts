// Whether io_uring can be used here, and with what, so the caller can fall back to the
// recvmmsg/sendmmsg backend and say why. io_uring may be compiled out (ENOSYS), switched
// off by the io_uring_disabled sysctl or blocked by a seccomp profile (EPERM), or limited
// by locked-memory accounting (ENOMEM).
import { readFileSync } from 'node:fs';
import { release } from 'node:os';
import { OS_PAGE_BYTES } from '../../bufferpool/packet-memory.js';
import { NativeArea, setU64 } from '../native-memory.js';
import { BufReg, IO_URING_DISABLED_SYSCTL, Op, Register } from './abi.js';
import { Ring, UringUnavailable } from './ring.js';

export type UringSupport =
  | {
      readonly available: true;
      readonly features: number;
      readonly ops: ReadonlySet<number>;
      /** IORING_REGISTER_PBUF_RING works (Linux 5.19). */
      readonly bufferRings: boolean;
      /** Multishot RECVMSG with provided buffers (Linux 6.0). */
      readonly multishotRecvmsg: boolean;
    }
  | { readonly available: false; readonly reason: string };

const REQUIRED_OPS = [Op.RECVMSG, Op.SENDMSG, Op.READ, Op.WRITE, Op.READ_FIXED, Op.WRITE_FIXED];

/** Probes io_uring with a small throwaway ring. Never throws. */
export function probeUring(): UringSupport {
  const sysctl = readSysctl();
  if (sysctl === 2) return { available: false, reason: `io_uring is disabled (${IO_URING_DISABLED_SYSCTL} = 2)` };
  let ring: Ring;
  try {
    ring = new Ring(4);
  } catch (error) {
    if (error instanceof UringUnavailable) {
      const hint = sysctl === 1 ? ` (${IO_URING_DISABLED_SYSCTL} = 1: only privileged processes may use it)` : '';
      return { available: false, reason: `${error.message}${hint}` };
    }
    return { available: false, reason: String(error) };
  }
  try {
    const ops = ring.supportedOps();
    const missing = REQUIRED_OPS.filter((op) => !ops.has(op));
    if (missing.length > 0) return { available: false, reason: `io_uring lacks opcodes ${missing.join(', ')}` };
    const bufferRings = canRegisterBufferRing(ring);
    return { available: true, features: ring.features, ops, bufferRings, multishotRecvmsg: bufferRings && kernelAtLeast(6, 0) };
  } catch (error) {
    return { available: false, reason: String(error) };
  } finally {
    ring.close();
  }
}

function readSysctl(): number | null {
  try {
    return Number(readFileSync(IO_URING_DISABLED_SYSCTL, 'utf8').trim());
  } catch {
    return null; // before Linux 6.6 there is no such switch
  }
}

// A one-entry buffer ring, registered and unregistered again.
function canRegisterBufferRing(ring: Ring): boolean {
  const ringMemory = new NativeArea(OS_PAGE_BYTES, 'probe buffer ring');
  const reg = new NativeArea(BufReg.SIZE, 'probe buffer ring registration');
  try {
    setU64(reg.u32, BufReg.RING_ADDR, ringMemory.address);
    reg.view.setUint32(BufReg.RING_ENTRIES, 1, true);
    if (ring.register(Register.PBUF_RING, reg.address, 1) < 0) return false;
    ring.register(Register.UNREGISTER_PBUF_RING, reg.address, 1);
    return true;
  } finally {
    reg.release();
    ringMemory.release();
  }
}

function kernelAtLeast(major: number, minor: number): boolean {
  const [haveMajor, haveMinor] = release().split('.').map((part) => parseInt(part, 10));
  return haveMajor > major || (haveMajor === major && haveMinor >= minor);
}
