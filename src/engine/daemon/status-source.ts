// What the status socket reports and the metrics read, from the control plane and the workers' statistics.
import type { PeerStatusSource, StatusSource, WorkerStatus } from '../../status/status-json.js';
import type { ControlPlane } from '../control/control-plane.js';
import { type Endpoint, GlobalStat } from '../datapath/messages.js';
import { formatEndpoint } from '../control/endpoints.js';
import type { EnginePeer } from '../control/peer-state.js';
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

/** A peer's row, with the address it was formatted from. */
interface PeerRow extends PeerStatusSource {
  readonly endpoint: Endpoint | undefined;
}

/**
 * Each peer's row of the last source, handed out again while the peer says the same (rows are
 * never changed, so an earlier source still reads what it read): the status writer keeps each
 * connected row's text by the row (status-writer.ts), and 1,000 rows and formatted addresses a
 * fetch or scrape were garbage for the main thread's small young generation (daemon.ts).
 */
const rows = new WeakMap<EnginePeer, PeerRow>();

function rowOf(peer: EnginePeer): PeerRow {
  // a peer's own interface only: where there is one for all, both readers name that one
  const { iface, config } = peer;
  const endpoint = peer.location?.endpoint;
  const establishedAt = peer.established ? peer.establishedAt : undefined;
  const row = rows.get(peer);
  if (
    row !== undefined &&
    row.endpoint === endpoint &&
    row.establishedAt === establishedAt &&
    row.method === peer.method &&
    row.macAddresses === peer.macAddresses &&
    row.key === config.key &&
    row.name === config.name &&
    row.iface?.name === iface?.device.name &&
    row.iface?.mtu === iface?.mtu
  )
    return row;
  const made: PeerRow = {
    key: config.key,
    name: config.name,
    address: formatEndpoint(endpoint),
    iface: iface && { name: iface.device.name, mtu: iface.mtu },
    peerId: peer.peerId,
    establishedAt,
    method: peer.method,
    macAddresses: peer.macAddresses,
    endpoint,
  };
  rows.set(peer, made);
  return made;
}

/** What the status document is made of now (status-json.ts buildStatus); the metrics read it as it is. */
export function statusSource(inputs: StatusInputs): StatusSource {
  const { control } = inputs;
  const single = control.deps.singleInterface;
  const peers: PeerStatusSource[] = [];
  for (const peer of control.table.all()) peers.push(rowOf(peer));
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
