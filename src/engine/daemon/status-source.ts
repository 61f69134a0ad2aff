// What the status socket reports and the metrics read, from the control plane and the workers' statistics.
import type { PeerStatusSource, StatusSource, WorkerStatus } from '../../status/status-json.js';
import type { ControlPlane } from '../control/control-plane.js';
import { GlobalStat } from '../datapath/messages.js';
import { formatEndpoint } from '../control/endpoints.js';
import type { Workers } from '../workers/workers.js';

interface StatusInputs {
  readonly control: ControlPlane;
  readonly startedAt: number;
  readonly globalStats: Float64Array;
  /** undefined until the datapath worker is ready. */
  readonly ioBackend: 'io_uring' | 'fallback' | undefined;
  readonly workers: Workers;
}

/** Each worker's share, from its own global statistics table. */
function workerStatus(workers: Workers): WorkerStatus[] {
  const peers = workers.peerCounts();
  return workers.globalStats.map((buffer, index) => {
    const stats = new Float64Array(buffer);
    return {
      peers: peers[index]!,
      rx_packets: stats[GlobalStat.RxPackets]!,
      tx_packets: stats[GlobalStat.TxPackets]!,
      handoffs: stats[GlobalStat.Handoffs]!,
      handoff_drops: stats[GlobalStat.DropHandoff]!,
    };
  });
}

/** What the status document is made of now (status-json.ts buildStatus); the metrics read it as it is. */
export function statusSource(inputs: StatusInputs): StatusSource {
  const { control } = inputs;
  const single = control.deps.singleInterface;
  const peers: PeerStatusSource[] = [];
  for (const peer of control.table.all()) {
    // a peer's own interface only: where there is one for all, both readers name that one
    const { iface } = peer;
    peers.push({
      key: peer.config.key,
      name: peer.config.name,
      address: formatEndpoint(peer.location?.endpoint),
      iface: iface && { name: iface.device.name, mtu: iface.mtu },
      peerId: peer.peerId,
      establishedAt: peer.established ? peer.establishedAt : undefined,
      method: peer.method,
      macAddresses: peer.macAddresses,
    });
  }
  return {
    now: control.deps.clock(),
    startedAt: inputs.startedAt,
    mode: control.config.mode,
    singleInterface: single?.device.name,
    globalStats: inputs.globalStats,
    peerStats: inputs.workers.peerStats,
    peers,
    ioBackend: inputs.ioBackend,
    workers: workerStatus(inputs.workers),
  };
}
