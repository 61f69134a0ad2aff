// What the status socket reports, read from the control plane and the worker's statistics.
import { buildStatus, type PeerStatusSource, type StatusDocument } from '../status/status-json.js';
import type { ControlPlane } from './control-plane.js';
import { formatEndpoint } from './endpoints.js';

export interface StatusInputs {
  readonly control: ControlPlane;
  readonly startedAt: number;
  readonly globalStats: Float64Array;
  readonly peerStats: Float64Array;
  /** undefined until the datapath worker is ready. */
  readonly ioBackend: 'io_uring' | 'fallback' | undefined;
}

export function statusDocument(inputs: StatusInputs): StatusDocument {
  const { control } = inputs;
  const single = control.deps.singleInterface;
  const peers: PeerStatusSource[] = [];
  for (const peer of control.table.all()) {
    const iface = peer.iface ?? single;
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
  return buildStatus({
    now: control.deps.clock(),
    startedAt: inputs.startedAt,
    mode: control.config.mode,
    singleInterface: single?.device.name,
    globalStats: inputs.globalStats,
    peerStats: inputs.peerStats,
    peers,
    ioBackend: inputs.ioBackend,
  });
}
