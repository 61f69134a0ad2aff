// capset(2), capget(2) and the user and group ids of the calling thread. Linux keeps capabilities and ids
// per thread, so each thread that should lose privileges has to drop them itself. glibc's
// setgroups/setgid/setuid change every thread at once and abort the process when one thread
// may not (a datapath worker that already dropped its capabilities): these raw system calls
// change the caller's only.
import { capget, capset, check, syscall, Syscall } from './libc.js';
import { NativeArea } from './native-memory.js';

/** _LINUX_CAPABILITY_VERSION_3: two 32-bit words per set. */
const CAPABILITY_VERSION_3 = 0x20080522;
/** struct __user_cap_header_struct { u32 version; int pid; } then two struct __user_cap_data_struct { u32 effective, permitted, inheritable; }. */
const CapHeader = { VERSION: 0, PID: 4, SIZE: 8 } as const;
const CapData = { EFFECTIVE: 0, PERMITTED: 4, INHERITABLE: 8, SIZE: 12 } as const;

/** `use` with a capget/capset header for this thread (version 3) and its two data structs zeroed after it, in native memory for the call. */
function withCapabilityStructs<T>(use: (area: NativeArea) => T): T {
  const area = new NativeArea(CapHeader.SIZE + 2 * CapData.SIZE, 'capabilities');
  try {
    area.view.setUint32(CapHeader.VERSION, CAPABILITY_VERSION_3, true);
    area.view.setInt32(CapHeader.PID, 0, true);
    return use(area);
  } finally {
    area.release();
  }
}

/** Exactly `capabilities` (linux/capability.h bit numbers) stay permitted and effective for this thread. */
export function setThreadCapabilities(capabilities: readonly number[]): void {
  withCapabilityStructs((area) => {
    for (const capability of capabilities) {
      const word = CapHeader.SIZE + Math.floor(capability / 32) * CapData.SIZE;
      const bit = 1 << capability % 32;
      for (const set of [CapData.EFFECTIVE, CapData.PERMITTED]) {
        area.view.setUint32(word + set, (area.view.getUint32(word + set, true) | bit) >>> 0, true);
      }
    }
    check(capset(area.address, area.address + CapHeader.SIZE), 'unable to set capabilities');
  });
}

/**
 * Runs `action` with this thread's effective capabilities cleared, then gives them back: it
 * acts as root without privilege would (no CAP_DAC_OVERRIDE), while the permitted set stays.
 */
export function withoutEffectiveCapabilities<T>(action: () => T): T {
  return withCapabilityStructs((area) => {
    const data = area.address + CapHeader.SIZE;
    const effective = [CapHeader.SIZE + CapData.EFFECTIVE, CapHeader.SIZE + CapData.SIZE + CapData.EFFECTIVE];
    check(capget(area.address, data), 'unable to read capabilities');
    const kept = effective.map((at) => area.view.getUint32(at, true));
    for (const at of effective) area.view.setUint32(at, 0, true);
    check(capset(area.address, data), 'unable to set capabilities');
    try {
      return action();
    } finally {
      effective.forEach((at, word) => area.view.setUint32(at, kept[word]!, true));
      check(capset(area.address, data), 'unable to set capabilities');
    }
  });
}

/** A thread's user, group and supplementary groups (fastd's conf.uid, conf.gid, conf.groups). */
export interface ThreadIds {
  readonly uid: number;
  readonly gid: number;
  readonly groups: readonly number[];
}

/** setgroups(2) for the calling thread only; false (errno set) when refused. */
export function setThreadGroups(groups: readonly number[]): boolean {
  const area = new NativeArea(Math.max(1, groups.length) * Uint32Array.BYTES_PER_ELEMENT, 'group list');
  try {
    groups.forEach((gid, index) => area.view.setUint32(index * Uint32Array.BYTES_PER_ELEMENT, gid, true));
    return syscall(Syscall.setgroups, groups.length, area.address) === 0;
  } finally {
    area.release();
  }
}

/** The calling thread becomes `ids` for good: groups, then gid, then uid (all of real, effective and saved). */
export function becomeThreadUser(ids: ThreadIds): void {
  setThreadGroups(ids.groups);
  check(syscall(Syscall.setresgid, ids.gid, ids.gid, ids.gid), 'setresgid');
  check(syscall(Syscall.setresuid, ids.uid, ids.uid, ids.uid), 'setresuid');
}
