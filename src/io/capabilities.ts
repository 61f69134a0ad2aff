// capset(2) for the calling thread. Linux keeps capabilities per thread, so each thread that
// should lose privileges has to drop them itself.
import { capset, check } from './libc.js';
import { NativeArea } from './native-memory.js';

/** _LINUX_CAPABILITY_VERSION_3: two 32-bit words per set. */
const CAPABILITY_VERSION_3 = 0x20080522;
/** struct __user_cap_header_struct { u32 version; int pid; } then two struct __user_cap_data_struct { u32 effective, permitted, inheritable; }. */
const CapHeader = { VERSION: 0, PID: 4, SIZE: 8 } as const;
const CapData = { EFFECTIVE: 0, PERMITTED: 4, INHERITABLE: 8, SIZE: 12 } as const;

/** Exactly `capabilities` (linux/capability.h bit numbers) stay permitted and effective for this thread. */
export function setThreadCapabilities(capabilities: readonly number[]): void {
  const area = new NativeArea(CapHeader.SIZE + 2 * CapData.SIZE, 'capabilities');
  try {
    area.view.setUint32(CapHeader.VERSION, CAPABILITY_VERSION_3, true);
    area.view.setInt32(CapHeader.PID, 0, true);
    for (const capability of capabilities) {
      const word = CapHeader.SIZE + Math.floor(capability / 32) * CapData.SIZE;
      const bit = 1 << capability % 32;
      for (const set of [CapData.EFFECTIVE, CapData.PERMITTED]) {
        area.view.setUint32(word + set, (area.view.getUint32(word + set, true) | bit) >>> 0, true);
      }
    }
    check(capset(area.address, area.address + CapHeader.SIZE), 'unable to set capabilities');
  } finally {
    area.release();
  }
}
