// Switches for benchmarks and tests, not for operators: environment variables that turn one
// mechanism off to measure what it brings, or make the daemon behave oddly on purpose for a
// test. Read once here, at the entry point; the daemon passes them down as settings.

export interface DevelopmentSwitches {
  /** FASTD_TS_GSO=0: UDP GSO and GRO off. */
  readonly udpOffloads: boolean;
  /** FASTD_TS_OFFLOAD=0: TUN/TAP interfaces without vnet header and TSO/GRO offloads. */
  readonly tunOffloads: boolean;
  /** FASTD_TS_URING_WAIT=0: io_uring for batches only; workers wait in poll(2) and receive per batch, as before the event ring. */
  readonly uringWait: boolean;
  /** FASTD_TS_GATHER=0: a busy worker's waits wake for the first datagram, as before gathering (loop.ts). */
  readonly gather: boolean;
  /** FASTD_TS_TEST_PRE_V22=1: handshake like a pre-v22 fastd (bare handshakes, data type 0x02). */
  readonly preV22: boolean;
  /** FASTD_TS_TEST_MISPLACE_PEERS=1: every peer owned by a worker other than the one its datagrams arrive at (see Workers). */
  readonly misplacePeers: boolean;
}

export function readDevelopmentSwitches(env: NodeJS.ProcessEnv): DevelopmentSwitches {
  return {
    udpOffloads: env.FASTD_TS_GSO !== '0',
    tunOffloads: env.FASTD_TS_OFFLOAD !== '0',
    uringWait: env.FASTD_TS_URING_WAIT !== '0',
    gather: env.FASTD_TS_GATHER !== '0',
    preV22: env.FASTD_TS_TEST_PRE_V22 === '1',
    misplacePeers: env.FASTD_TS_TEST_MISPLACE_PEERS === '1',
  };
}
