// Control messages from the main thread, applied between batches. They are rare (a peer
// comes, a handshake completes, a keepalive is due), so they may allocate; the packet
// paths never wait for them.
import type { Datapath } from './context.js';
import { SOCKADDR_SLOT } from '../../io/linux-abi.js';
import { writeSockaddr } from '../../io/sockaddr.js';
import type { Endpoint, ToWorker } from './messages.js';
import { endpointKey } from './tables/address-key.js';
import { compactHeap } from '../heap-compaction.js';
import { dropSessions, installSession } from './tables/peer-table.js';
import type { Sender } from './pipeline/send.js';

/** What the loop has to do after a message. */
export const Outcome = { Continue: 0, FdsChanged: 1, Shutdown: 2 } as const;
export type Outcome = (typeof Outcome)[keyof typeof Outcome];

export function applyControl(dp: Datapath, sender: Sender, message: ToWorker, now: number): Outcome {
  switch (message.type) {
    case 'init':
      throw new Error('init received twice');
    case 'addPeer': {
      const spec = message.interface;
      const grown = dp.stats.fit(message.peerId);
      if (grown) dp.post({ type: 'peerStats', buffer: grown });
      dp.peers.table.add(message.peerId, spec ? spec.interfaceId : -1, message.owner ?? dp.self);
      if (!spec) return Outcome.Continue;
      dp.queues.add(spec, message.peerId);
      return Outcome.FdsChanged;
    }
    case 'removePeer': {
      const peer = dp.peers.table.get(message.peerId);
      if (!peer) return Outcome.Continue;
      // what is queued for the peer is sent and counted while it still is one
      sender.send(now);
      dp.peers.macs.forgetPeer(peer.id);
      dp.peers.table.remove(peer.id);
      // every worker zeroes its own row of a peer that goes (fastd's reset_peer); one that moves keeps its counts
      if (message.moved !== true) dp.stats.resetPeer(peer.id);
      if (peer.interfaceId < 0) return Outcome.Continue;
      dp.queues.remove(peer.interfaceId);
      return Outcome.FdsChanged;
    }
    case 'addSocket':
      dp.sockets.add(message.socket.socketId, message.socket.fd);
      return Outcome.FdsChanged;
    case 'removeSocket':
      sender.send(now);
      dp.sockets.remove(message.socketId);
      return Outcome.FdsChanged;
    case 'setPeerAddress':
      dp.peers.table.setAddress(peerOf(dp, message.peerId), message.socketId, message.endpoint, message.local);
      return Outcome.Continue;
    case 'installSession': {
      const peer = peerOf(dp, message.peerId);
      const provider = dp.provider(message.method);
      if (message.key.length < provider.keyLength) throw new Error(`${message.method} needs ${provider.keyLength} key bytes, got ${message.key.length}`);
      const session = provider.createSession(message.key, { initiator: message.initiator, compat: message.compat }, now, dp.memory.memory);
      installSession(peer, session, provider.keyLength > 0, now);
      if (message.sendEmpty) sender.sealEmpty(peer, now);
      return Outcome.Continue;
    }
    case 'resetPeer': {
      const peer = peerOf(dp, message.peerId);
      dropSessions(peer);
      dp.peers.macs.forgetPeer(peer.id);
      return Outcome.Continue;
    }
    case 'rememberedEndpoints':
      dp.peers.handshakeRate.remember(endpointKeysOf(message.endpoints), now + message.forMs);
      return Outcome.Continue;
    case 'remoteEndpoints':
      dp.peers.handshakeRate.knowRemotes(endpointKeysOf(message.endpoints));
      return Outcome.Continue;
    case 'keepalive':
      for (const peerId of message.peerIds) sender.queueEmpty(peerOf(dp, peerId), now);
      sender.send(now);
      return Outcome.Continue;
    case 'compactHeap':
      compactHeap();
      return Outcome.Continue;
    case 'shutdown':
      return Outcome.Shutdown;
  }
}

/** One address slot to key endpoints in (a set of remotes may hold thousands). */
const keySlot = new Uint8Array(SOCKADDR_SLOT);
const keySlotWords = new Uint32Array(keySlot.buffer);

function endpointKeyOf(endpoint: Endpoint): number {
  writeSockaddr(keySlot, 0, endpoint);
  return endpointKey(keySlotWords, 0);
}

/** The endpoints' keys (endpointKey), an IPv4 one also as a dual-stack socket reports it (v4-mapped). */
function endpointKeysOf(endpoints: readonly Endpoint[]): number[] {
  const keys: number[] = [];
  for (const endpoint of endpoints) {
    keys.push(endpointKeyOf(endpoint));
    if (endpoint.family === 4) keys.push(endpointKeyOf({ ...endpoint, family: 6, address: `::ffff:${endpoint.address}` }));
  }
  return keys;
}

function peerOf(dp: Datapath, peerId: number) {
  const peer = dp.peers.table.get(peerId);
  if (!peer) throw new Error(`no peer ${peerId} in the datapath`);
  return peer;
}
