// A control plane without sockets, interfaces or a worker: real configuration, real
// handshake state machine, a hand-driven clock, and every message to the "worker", every
// packet sent and every hook recorded, so the peer life cycle can be watched step by step.
import type { Config } from '../../src/config/types.js';
import { loadConfigText } from '../../src/config/loader.js';
import { derivePublicKey, generateSecretKey, keyToHex } from '../../src/crypto/ec25519/keys.js';
import { createMethodProvider } from '../../src/crypto/methods/registry.js';
import { ControlPlane } from '../../src/engine/control/control-plane.js';
import { PEER_STATS_FIELDS, type Endpoint, type ToWorker } from '../../src/engine/datapath/messages.js';
import { HandshakeDriver } from '../../src/engine/control/handshake-driver.js';
import { PeerStatistics } from '../../src/engine/control/peer-stats.js';
import { addStaticPeers } from '../../src/engine/control/peer-reload.js';
import type { HookEnvironment } from '../../src/engine/control/hooks.js';
import type { OpenInterface } from '../../src/engine/net/interfaces.js';
import type { BoundSocket } from '../../src/engine/net/sockets.js';
import { AddressFamily } from '../../src/io/linux-abi.js';
import { Handshake, type HandshakeMethod } from '../../src/protocol/handshake.js';
import type { ShellCommand } from '../../src/config/types.js';

export interface KeyPair {
  readonly secret: string;
  readonly public: string;
}

export function keyPair(): KeyPair {
  const secret = generateSecretKey();
  return { secret: keyToHex(secret), public: keyToHex(derivePublicKey(secret)) };
}

/** Key pairs ordered by public key, so a test can say which end leads a simultaneous open. */
export function orderedKeyPairs(): [KeyPair, KeyPair] {
  const pair = [keyPair(), keyPair()].sort((a, b) => (a.public < b.public ? -1 : 1));
  return [pair[0]!, pair[1]!];
}

export function endpoint(address: string, port: number): Endpoint {
  return { family: 4, address, port, scopeId: 0 };
}

export interface HookCall {
  readonly command: string;
  readonly env: HookEnvironment;
}

export const STATS_ROWS = 16;

/** A handshake packet the control plane sent (on the socket `socketId`), recorded among the messages. */
export interface SentPacket {
  readonly type: 'sendPacket';
  readonly socketId: number;
  readonly endpoint: Endpoint;
  readonly local?: Endpoint;
  readonly packet: Uint8Array;
}

export type Posted = ToWorker | SentPacket;

export class TestEngine {
  readonly posts: Posted[] = [];
  readonly hooks: HookCall[] = [];
  readonly peerStats = new Float64Array(STATS_ROWS * PEER_STATS_FIELDS);
  readonly control: ControlPlane;
  readonly driver: HandshakeDriver;
  readonly config: Config;
  now = 1_000_000;
  /** Exit status `on verify` gives. */
  verifyStatus = 0;

  constructor(
    configText: string,
    readonly local: Endpoint,
    random: () => number = () => 0.5,
  ) {
    // The one socket stands for a bind with a port: handshakes go out from it.
    this.config = loadConfigText(`bind ${local.address}:${local.port};\n${configText}`, 'full', '/').config;
    const secret = Uint8Array.from(Buffer.from(this.config.secret!, 'hex'));
    const methods = new Map<string, HandshakeMethod>();
    for (const name of this.config.methods) methods.set(name, { name, keyLength: createMethodProvider(name)!.keyLength });
    const socket: BoundSocket = {
      socketId: 0,
      socket: { fd: -1, family: AddressFamily.INET, local: { address: local.address, port: local.port } },
      bind: this.config.binds[0]!,
      dualStack: false,
    };
    const tap: OpenInterface = { device: { fd: -1, name: 'tap-test', kind: 'tap' }, extraQueues: [], interfaceId: 0, mtu: this.config.mtu };
    this.control = new ControlPlane(
      {
        config: this.config,
        handshake: new Handshake({ secretKey: secret, mode: this.config.mode, versionName: 'v23' }),
        sockets: [socket],
        post: (message) => this.posts.push(message),
        send: (_fd, location, packet) => this.posts.push({ type: 'sendPacket', socketId: location.socketId, endpoint: location.endpoint, local: location.local, packet }),
        peerStats: new PeerStatistics([this.peerStats.buffer]),
        localKey: keyToHex(derivePublicKey(secret)),
        singleInterface: this.config.mode === 'tap' ? tap : undefined,
        openPeerInterface: (peer) => ({ device: { fd: -1, name: `tun-${peer.name}`, kind: 'tun' }, extraQueues: [], interfaceId: 1, mtu: peer.mtu ?? this.config.mtu }),
        closePeerInterface: () => undefined,
        runHook: (command: ShellCommand, env: HookEnvironment) => {
          this.hooks.push({ command: command.command, env });
          return Promise.resolve(command === this.config.onVerify ? this.verifyStatus : 0);
        },
        methods,
        clock: () => this.now,
        random,
      },
    );
    this.driver = new HandshakeDriver(this.control);
    addStaticPeers(this.control, this.now);
  }

  /** Removes and returns the messages posted and packets sent so far. */
  take(): Posted[] {
    return this.posts.splice(0);
  }

  peer(name: string) {
    return [...this.control.table.all()].find((peer) => peer.config.name === name)!;
  }
}

/** Moves every handshake packet one engine posted to the other, until both are quiet; returns the rest. */
export async function exchange(a: TestEngine, b: TestEngine): Promise<{ a: Posted[]; b: Posted[] }> {
  const rest = { a: [] as Posted[], b: [] as Posted[] };
  for (let round = 0; round < 10; round++) {
    const fromA = a.take();
    const fromB = b.take();
    if (fromA.length === 0 && fromB.length === 0) break;
    for (const [messages, sender, receiver, kept] of [
      [fromA, a, b, rest.a],
      [fromB, b, a, rest.b],
    ] as const) {
      for (const message of messages) {
        if (message.type === 'sendPacket') await receiver.driver.receive(0, sender.local, message.packet);
        else kept.push(message);
      }
    }
  }
  return rest;
}
