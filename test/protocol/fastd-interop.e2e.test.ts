// THE REAL TEST: our handshake against Debian's fastd v22, in a private network namespace
// with loopback only. We initiate and fastd responds, then fastd initiates and we respond;
// each time fastd must log the new session, and a null-method data packet we send must come
// out of fastd's TAP interface. With salsa20+poly1305, packets sealed under the method key
// both ways prove the key derivation too.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { derivePublicKey, generateSecretKey, keyToHex } from '../../src/crypto/ec25519/keys.js';
import {
  type EstablishedSession,
  Handshake,
  type HandshakeConfig,
  type HandshakeOutcome,
  type HandshakePeer,
  PeerHandshakeState,
} from '../../src/protocol/handshake.js';
import {
  buildHandshake,
  frameHandshake,
  parseHandshake,
  type ReceivedHandshake,
} from '../../src/protocol/handshake-messages.js';
import { ModeId, RecordType, recordBytes } from '../../src/protocol/tlv.js';
import { classifyPacket, HandshakeFormat, PacketClass, PacketType } from '../../src/protocol/wire.js';
import { haveDebianFastd, haveNetns, isRoot, requireSystem } from '../helpers/prereq.js';
import { openSalsa20Poly1305, sealSalsa20Poly1305 } from './interop/salsa20-poly1305.js';
import { type Datagram, Fastd, Relay, rxPackets, stop, waitForRxPackets } from './interop/rig.js';
import { Namespace } from '../../src/testbed/namespaces.js';

const ok = requireSystem('fastd handshake interop', { root: isRoot, netns: haveNetns, fastd: haveDebianFastd });

const MTU = 1400;
const FASTD_PORT = 10_001;
const OUR_PORT = 10_002;
const NULL_METHOD = { name: 'null', keyLength: 0 };
const SALSA20_POLY1305 = { name: 'salsa20+poly1305', keyLength: 32 };
/** fastd's first send nonces: odd for the initiator, even for the responder (methods/common.c). */
const FIRST_INITIATOR_NONCE = 3;
const FIRST_RESPONDER_NONCE = 2;

/** A broadcast Ethernet frame of the minimum size, local experimental EtherType. */
function ethernetFrame(): Uint8Array {
  const frame = new Uint8Array(60);
  frame.fill(0xff, 0, 6);
  frame.set([0x02, 0, 0, 0, 0, 0x01], 6);
  frame.set([0x88, 0xb5], 12);
  frame.set(randomBytes(46), 14);
  return frame;
}

/** A null-method data packet: the packet type, then the frame (protocol.rst "Payload packets"). */
function nullDataPacket(session: EstablishedSession, payload: Uint8Array): Uint8Array {
  const packet = new Uint8Array(1 + payload.length);
  packet[0] = session.compat ? PacketType.DataCompat : PacketType.Data;
  packet.set(payload, 1);
  return packet;
}

function isHandshake(datagram: Datagram): boolean {
  const kind = classifyPacket(datagram.bytes);
  return kind === PacketClass.Handshake || kind === PacketClass.L2tpHandshake;
}

describe.runIf(ok)('handshake with Debian fastd v22', () => {
  const namespace = `fastd-ts-p-${process.pid}`;
  const dir = mkdtempSync(join(tmpdir(), 'fastd-ts-interop-'));
  const iface = `fdtsp${process.pid % 100_000}`;
  const ourSecret = generateSecretKey();
  const fastdSecret = generateSecretKey();
  let netns: Namespace | undefined;
  let relay: Relay | undefined;
  /** Every fastd we started; a failed test may leave one running, the next start or afterAll ends it. */
  const fastds: Fastd[] = [];

  function fastdConfig(method: string, peerExtra: string): string {
    return [
      'log level debug2;',
      'mode tap;',
      `interface "${iface}";`,
      `method "${method}";`,
      `mtu ${MTU};`,
      `bind 127.0.0.1:${FASTD_PORT};`,
      `secret "${keyToHex(fastdSecret)}";`,
      'on up "ip link set dev $INTERFACE up";',
      `peer "fastd-ts" {\n  key "${keyToHex(derivePublicKey(ourSecret))}";\n${peerExtra}}`,
      '',
    ].join('\n');
  }

  async function startFastd(name: string, method: string, peerExtra = ''): Promise<Fastd> {
    for (const earlier of fastds) await stop(earlier.child);
    const started = Fastd.start(namespace, dir, name, fastdConfig(method, peerExtra));
    fastds.push(started);
    fromFastd.length = 0;
    await started.waitForLog(/bound to 127\.0\.0\.1:10001/);
    await waitForRxPackets(namespace, iface, 0);
    return started;
  }

  function ours(
    method = NULL_METHOD,
    config: Partial<HandshakeConfig> = {},
  ): { handshake: Handshake; peer: HandshakePeer } {
    return {
      handshake: new Handshake({ secretKey: ourSecret, mode: 'tap', versionName: 'v23', ...config }),
      peer: { key: derivePublicKey(fastdSecret), mtu: MTU, methods: [method], state: new PeerHandshakeState() },
    };
  }

  /** Every handshake fastd sent us, for comparing its bytes with ours. */
  const fromFastd: Uint8Array[] = [];

  function handle(side: ReturnType<typeof ours>, datagram: Datagram): HandshakeOutcome {
    fromFastd.push(datagram.bytes);
    const parsed = parseHandshake(datagram.bytes);
    if (!parsed.ok) return { kind: 'drop', level: 'debug', reason: parsed.reason };
    const screened = side.handshake.screen(parsed.handshake);
    if (screened.kind !== 'sender') return screened;
    expect(screened.senderKey).toEqual(side.peer.key);
    return side.handshake.handle(parsed.handshake, side.peer, `127.0.0.1:${datagram.port}`, Date.now());
  }

  function parsed(packet: Uint8Array): ReceivedHandshake {
    const result = parseHandshake(packet);
    if (!result.ok) throw new Error(result.reason);
    return result.handshake;
  }

  /** fastd's inits (both framings) are byte for byte what we build from the same fields. */
  function expectInitsAsWeBuildThem(): void {
    const inits = fromFastd.filter((packet) => parsed(packet).type === 1);
    expect(inits.map((packet) => parsed(packet).format).sort()).toEqual([HandshakeFormat.Bare, HandshakeFormat.L2tp]);
    for (const init of inits) {
      const h = parsed(init);
      const body = buildHandshake({
        type: 1,
        l2tpSupport: true,
        mode: ModeId.Tap,
        mtu: 0,
        versionName: 'v22',
        methodName: undefined,
        methodList: undefined,
        replyCode: undefined,
        senderKey: derivePublicKey(fastdSecret),
        recipientKey: derivePublicKey(ourSecret),
        senderHandshakeKey: recordBytes(h.records, RecordType.SenderHandshakeKey, 32)!,
        recipientHandshakeKey: undefined,
        withTag: false,
      });
      expect(init).toEqual(frameHandshake(body.bytes, h.format));
    }
  }

  /** fastd's response is byte for byte what we build, its tag aside. */
  function expectResponseAsWeBuildIt(): void {
    const response = fromFastd.find((packet) => parsed(packet).type === 2)!;
    const h = parsed(response);
    const body = buildHandshake({
      type: 2,
      l2tpSupport: true,
      mode: ModeId.Tap,
      mtu: MTU,
      versionName: 'v22',
      methodName: undefined,
      methodList: [NULL_METHOD.name],
      replyCode: 0,
      senderKey: derivePublicKey(fastdSecret),
      recipientKey: derivePublicKey(ourSecret),
      senderHandshakeKey: recordBytes(h.records, RecordType.SenderHandshakeKey, 32)!,
      recipientHandshakeKey: recordBytes(h.records, RecordType.RecipientHandshakeKey, 32)!,
      withTag: true,
    });
    body.bytes.set(recordBytes(h.records, RecordType.TlvAuthenticationTag, 32)!, body.tagOffset);
    expect(response).toEqual(frameHandshake(body.bytes, HandshakeFormat.L2tp));
  }

  /** Feeds fastd's handshakes to us until one gives an outcome that is not a drop. */
  async function nextOutcome(side: ReturnType<typeof ours>, what: string): Promise<HandshakeOutcome> {
    let outcome: HandshakeOutcome | undefined;
    await relay!.next(what, (datagram) => {
      if (!isHandshake(datagram)) return false;
      outcome = handle(side, datagram);
      return outcome.kind !== 'drop';
    });
    return outcome!;
  }

  async function expectOnTap(packet: Uint8Array): Promise<void> {
    const before = rxPackets(namespace, iface);
    relay!.send(FASTD_PORT, packet);
    expect(await waitForRxPackets(namespace, iface, before + 1)).toBeGreaterThan(before);
  }

  /** We initiate; returns the session once fastd has logged it as established. */
  async function initiateWithFastd(running: Fastd, side: ReturnType<typeof ours>): Promise<EstablishedSession> {
    for (const packet of side.handshake.initiate(side.peer, Date.now())) relay!.send(FASTD_PORT, packet);
    const established = await nextOutcome(side, "fastd's handshake response");
    expect(established.kind, JSON.stringify(established)).toBe('established');
    if (established.kind !== 'established') throw new Error('not established');
    expect(established.session).toMatchObject({ initiator: true, compat: false, peerVersion: 'v22' });
    expect(established.packets.map((packet) => packet[0])).toEqual([PacketType.Control]);
    for (const packet of established.packets) relay!.send(FASTD_PORT, packet);
    const method = side.peer.methods[0]!.name.replace(/[+]/g, '\\+');
    await running.waitForLog(new RegExp(`new session with .* established using method \`${method}'\\.`));
    expect(running.log).not.toMatch(/compat mode/);
    return established.session;
  }

  beforeAll(async () => {
    netns = Namespace.create(namespace);
    netns.ip('link', 'set', 'lo', 'up');
    relay = await Relay.start(namespace, OUR_PORT);
  });

  afterAll(async () => {
    for (const started of fastds) await stop(started.child);
    await stop(relay?.child);
    netns?.delete();
    rmSync(dir, { recursive: true, force: true });
  });

  it('accepts our handshake as initiator, answers as we would, and delivers our data packet to its TAP', async () => {
    const running = await startFastd('responder', NULL_METHOD.name);
    const session = await initiateWithFastd(running, ours());
    await expectOnTap(nullDataPacket(session, ethernetFrame()));
    expectResponseAsWeBuildIt();
    if (process.env.SHOW_FASTD_LOG) process.stderr.write(running.log);
    await stop(running.child);
  });

  it('initiates as we would, takes our response, and its TAP gets our data packet', async () => {
    const running = await startFastd('initiator', NULL_METHOD.name, `  remote 127.0.0.1:${OUR_PORT};\n`);
    const side = ours();

    const response = await nextOutcome(side, "fastd's initial handshake");
    expect(response.kind, JSON.stringify(response)).toBe('reply');
    if (response.kind !== 'reply') return;
    expect(response.packets.map((packet) => packet[0])).toEqual([PacketType.Control]);
    for (const packet of response.packets) relay!.send(FASTD_PORT, packet);

    const established = await nextOutcome(side, "fastd's handshake finish");
    expect(established.kind, JSON.stringify(established)).toBe('established');
    if (established.kind !== 'established') return;
    expect(established.session).toMatchObject({ initiator: false, compat: false, peerVersion: 'v22' });
    expect(established.packets).toEqual([]);

    await running.waitForLog(/new session with .* established using method `null'\./);
    // fastd's responder announces the session with an empty packet; so do we.
    relay!.send(FASTD_PORT, nullDataPacket(established.session, new Uint8Array(0)));
    await expectOnTap(nullDataPacket(established.session, ethernetFrame()));
    expectInitsAsWeBuildThem();
    if (process.env.SHOW_FASTD_LOG) process.stderr.write(running.log);
    await stop(running.child);
  });

  it('derives the same method key as fastd: its keepalive opens, our sealed frame reaches its TAP', async () => {
    const running = await startFastd('keyed', SALSA20_POLY1305.name);
    const session = await initiateWithFastd(running, ours(SALSA20_POLY1305));
    expect(session.key).toHaveLength(SALSA20_POLY1305.keyLength);

    const keepalive = await relay!.next("fastd's keepalive", (datagram) => datagram.bytes[0] === PacketType.Data);
    expect(Array.from(keepalive.bytes.subarray(2, 8))).toEqual([0, 0, 0, 0, 0, FIRST_RESPONDER_NONCE]);
    expect(openSalsa20Poly1305(session.key, keepalive.bytes)).toEqual(new Uint8Array(0));
    const wrongKey = session.key.slice();
    wrongKey[0]! ^= 1;
    expect(openSalsa20Poly1305(wrongKey, keepalive.bytes)).toBeUndefined();

    await expectOnTap(sealSalsa20Poly1305(PacketType.Data, session.key, FIRST_INITIATOR_NONCE, ethernetFrame()));
    expect(running.log).not.toMatch(/verification failed/);
    if (process.env.SHOW_FASTD_LOG) process.stderr.write(running.log);
    await stop(running.child);
  });

  it('accepts a pre-v22 handshake from us (bare, no flags) and runs the session in compat mode', async () => {
    const running = await startFastd('compat', NULL_METHOD.name);
    const side = ours(NULL_METHOD, { preV22: true });
    const init = side.handshake.initiate(side.peer, Date.now());
    expect(init.map((packet) => packet[0])).toEqual([PacketType.Handshake]);
    for (const packet of init) relay!.send(FASTD_PORT, packet);

    const established = await nextOutcome(side, "fastd's bare handshake response");
    expect(established.kind, JSON.stringify(established)).toBe('established');
    if (established.kind !== 'established') return;
    expect(established.session).toMatchObject({ initiator: true, compat: true });
    expect(established.packets.map((packet) => packet[0])).toEqual([PacketType.Handshake]);
    for (const packet of established.packets) relay!.send(FASTD_PORT, packet);
    await running.waitForLog(/new session with .* established using method `null' \(compat mode\)\./);
    await expectOnTap(nullDataPacket(established.session, ethernetFrame()));
    await stop(running.child);
  });

  it('understands our error reply, and we understand its own', async () => {
    const running = await startFastd('errors', NULL_METHOD.name);
    // We offer only a method fastd lacks: its response lists "null", we answer with an error.
    const picky = ours(SALSA20_POLY1305);
    for (const packet of picky.handshake.initiate(picky.peer, Date.now())) relay!.send(FASTD_PORT, packet);
    const error = await nextOutcome(picky, "fastd's handshake response");
    expect(error).toMatchObject({ kind: 'reply', reason: 'Handshake with %I failed: sending error: no common methods are configured' });
    if (error.kind !== 'reply') return;
    for (const packet of error.packets) relay!.send(FASTD_PORT, packet);
    await running.waitForLog(/failed: received error: no common methods are configured/);

    // In TUN mode we are a mismatch for fastd's TAP: fastd answers our init with an error.
    const tun = ours(NULL_METHOD, { mode: 'tun' });
    for (const packet of tun.handshake.initiate(tun.peer, Date.now())) relay!.send(FASTD_PORT, packet);
    let received: HandshakeOutcome | undefined;
    await relay!.next("fastd's error reply", (datagram) => {
      if (!isHandshake(datagram)) return false;
      received = handle(tun, datagram);
      return received.kind === 'drop' && received.reason.startsWith('Handshake with %I failed: received error');
    });
    expect(received).toMatchObject({ kind: 'drop', level: 'warn', reason: 'Handshake with %I failed: received error: TUN/TAP mode mismatch' });
    await running.waitForLog(/failed: sending error: TUN\/TAP mode mismatch/);
    await stop(running.child);
  });
});
