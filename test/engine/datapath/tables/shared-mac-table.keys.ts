// The addresses and owners of the shared MAC table tests, computed alike in every thread:
// an owner encodes the address it belongs to, so a lookup can tell a torn read from a stale one.

/** Locally administered unicast MACs 02:ww:00:ii:ii:ii, learned by worker w only. */
export function ownedKey(worker: number, i: number): number {
  return 0x02_00_00_00_00_00 + worker * 2 ** 32 + i;
}

/** Locally administered unicast MACs 06:00:00:ii:ii:ii, learned by every worker. */
export function sharedKey(i: number): number {
  return 0x06_00_00_00_00_00 + i;
}

/** Owned addresses get owner ownerFamily * 2 + (0 or 1). */
export function ownerFamily(worker: number, i: number): number {
  return worker * 100_000 + i;
}

export function sharedOwner(i: number, worker: number): number {
  return i * 4 + worker;
}
