// Scenario 1, a bad network: the impairment relay between the router (Debian fastd) and the
// daemon under test, an iperf3 run and then 100 pings through the tunnel across it. What an
// operator wants to know: does TCP still get through and how fast, are pings lost beyond
// what the relay dropped, and does any duplicate reach the other side (fastd's replay window
// must drop every one; fastd-ts counts them as `replay` drops).
import { iperf3 } from '../bench/traffic.js';
import { TUNNEL_ADDRESSES } from '../bench/bench-tunnel.js';
import type { DaemonKind } from '../bench/report.js';
import type { ImpairmentSettings } from './impairment.js';
import type { RelayCounters } from './impairment-relay.js';
import { ChaosLab, type LabKeys } from './lab.js';
import { PingWatch, type PingTally } from './ping-watch.js';

export const PINGS = 100;

export interface ImpairmentFigures {
  /** iperf3's TCP throughput; undefined when the run did not complete. */
  readonly mbit: number | undefined;
  readonly retransmits: number;
  readonly iperfError?: string;
  readonly pings: PingTally;
  /** fastd-ts's replay drops on the daemon under test over the scenario; undefined for Debian fastd. */
  readonly replayDrops: number | undefined;
  /** Datagrams the relay carried a second time towards the daemon under test, over the same span as replayDrops. */
  readonly duplicatedTowardsDaemon: number;
  /** Datagrams a second the relay took in and sent on during the iperf3 run, both directions. */
  readonly relayPps: { readonly received: number; readonly sent: number };
  readonly relay: RelayCounters;
}

export async function runImpairment(kind: DaemonKind, keys: LabKeys, impairment: ImpairmentSettings, seconds: number, pingIntervalSeconds: number): Promise<ImpairmentFigures> {
  const lab = ChaosLab.create({ kind, keys, impairment });
  try {
    await lab.start();
    const replayBefore = await lab.underTestDrops('replay');
    const before = await lab.relayCounters();
    let mbit: number | undefined;
    let retransmits = 0;
    let iperfError: string | undefined;
    try {
      const run = await iperf3(lab.sides[0], lab.sides[1], TUNNEL_ADDRESSES[1], seconds);
      mbit = run.mbitPerSecond;
      retransmits = run.retransmits;
    } catch (error) {
      iperfError = (error as Error).message.split('\n')[0];
    }
    const during = await lab.relayCounters();
    const pings = await PingWatch.start(lab.sides[0], TUNNEL_ADDRESSES[1], pingIntervalSeconds, PINGS).stop();
    const relay = await lab.relayCounters();
    const replayAfter = await lab.underTestDrops('replay');
    const window = during.seconds - before.seconds;
    const perSecond = (pick: (c: RelayCounters) => number) => (pick(during) - pick(before)) / window;
    return {
      mbit,
      retransmits,
      iperfError,
      pings,
      replayDrops: replayAfter === undefined || replayBefore === undefined ? undefined : replayAfter - replayBefore,
      duplicatedTowardsDaemon: relay.up.duplicated - before.up.duplicated,
      relayPps: { received: perSecond((c) => c.up.received + c.down.received), sent: perSecond((c) => c.up.sent + c.down.sent) },
      relay,
    };
  } finally {
    await lab.close();
  }
}
