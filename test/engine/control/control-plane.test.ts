// The peer life cycle against a second control plane, packet for packet, with the clock
// in the test's hand: who sends what to the worker, when, and in which order.
import { describe, expect, it, vi } from 'vitest';
import { log } from '../../../src/log/logger.js';
import { PEER_STATS_FIELDS, PeerStat, type ToWorker } from '../../../src/engine/datapath/messages.js';
import {
  DEFAULT_HANDSHAKE_INTERVAL,
  KEEPALIVE_TIMEOUT,
  KEY_REFRESH,
  MIN_HANDSHAKE_INTERVAL,
  MIN_RESOLVE_INTERVAL,
  PEER_STALE_TIME,
  RECONNECT_ANSWER_INTERVAL,
  RESTART_PROBE_INTERVAL,
} from '../../../src/protocol/timing.js';
import { endpoint, exchange, keyPair, orderedKeyPairs, TestEngine, type KeyPair, type Posted, type SentPacket } from '../fixtures.js';

const A = endpoint('192.0.2.1', 10001);
const B = endpoint('192.0.2.2', 10002);

function configFor(own: KeyPair, other: KeyPair, otherEndpoint: typeof A | undefined, extra = ''): string {
  const remote = otherEndpoint ? `remote ${otherEndpoint.address}:${otherEndpoint.port};` : '';
  return `secret "${own.secret}"; mode tap; method "salsa2012+umac"; method "null"; ${extra}
peer "other" { key "${other.public}"; ${remote} }\n`;
}

function sessions(messages: Posted[]) {
  return messages.filter((message) => message.type === 'installSession');
}

function setStat(engine: TestEngine, peerId: number, field: number, value: number): void {
  engine.peerStats[peerId * PEER_STATS_FIELDS + field] = value;
}

/** A initiates (has B as remote), B only answers. */
async function establishedPair(random?: () => number) {
  const [keyA, keyB] = orderedKeyPairs();
  const a = new TestEngine(configFor(keyA, keyB, B, 'on establish "true"; on connect "true";'), A, random);
  const b = new TestEngine(configFor(keyB, keyA, undefined, 'on establish "true";'), B, random);
  a.control.tick(a.now);
  const rest = await exchange(a, b);
  return { a, b, rest, keyA, keyB };
}

describe('handshake to establishment', () => {
  it('the initiator and the responder install the same key, responder confirming with an empty packet', async () => {
    const { a, b, rest, keyA, keyB } = await establishedPair();
    const [sessionA] = sessions(rest.a) as Extract<ToWorker, { type: 'installSession' }>[];
    const [sessionB] = sessions(rest.b) as Extract<ToWorker, { type: 'installSession' }>[];
    expect(sessions(rest.a)).toHaveLength(1);
    expect(sessions(rest.b)).toHaveLength(1);
    expect(Buffer.from(sessionA!.key).equals(Buffer.from(sessionB!.key))).toBe(true);
    expect(sessionA!.method).toBe('salsa2012+umac');
    expect([sessionA!.initiator, sessionA!.sendEmpty]).toEqual([true, false]);
    expect([sessionB!.initiator, sessionB!.sendEmpty]).toEqual([false, true]);
    // The worker learns the peer, then its address, then the session.
    expect(rest.b.map((message) => message.type)).toEqual(['addPeer', 'setPeerAddress', 'installSession']);
    expect(rest.b[1]).toMatchObject({ type: 'setPeerAddress', endpoint: A });
    expect(a.peer('other').established && b.peer('other').established).toBe(true);
    // on connect before the handshake, on establish after it, with fastd's variables.
    expect(a.hooks.map((hook) => hook.env.PEER_ADDRESS)).toEqual(['192.0.2.2', '192.0.2.2']);
    const establishEnv = b.hooks.at(-1)!.env;
    expect(establishEnv).toMatchObject({
      PEER_NAME: 'other',
      PEER_KEY: keyA.public,
      LOCAL_KEY: keyB.public,
      PEER_ADDRESS: '192.0.2.1',
      PEER_PORT: '10001',
      LOCAL_ADDRESS: '192.0.2.2',
      LOCAL_PORT: '10002',
      INTERFACE: 'tap-test',
      INTERFACE_MTU: '1500',
    });
  });

  it('simultaneous open converges on one session whichever end has the larger key', async () => {
    for (const leaderFirst of [true, false]) {
      const [low, high] = orderedKeyPairs();
      const [keyA, keyB] = leaderFirst ? [high, low] : [low, high];
      const a = new TestEngine(configFor(keyA, keyB, B), A);
      const b = new TestEngine(configFor(keyB, keyA, A), B);
      a.control.tick(a.now);
      b.control.tick(b.now);
      const rest = await exchange(a, b);
      const installedA = sessions(rest.a) as Extract<ToWorker, { type: 'installSession' }>[];
      const installedB = sessions(rest.b) as Extract<ToWorker, { type: 'installSession' }>[];
      expect(installedA).toHaveLength(1);
      expect(installedB).toHaveLength(1);
      expect(Buffer.from(installedA[0]!.key).equals(Buffer.from(installedB[0]!.key))).toBe(true);
      // The end with the larger key initiated.
      expect(installedA[0]!.initiator).toBe(leaderFirst);
    }
  });
});

describe('restarts', () => {
  it('a peer restarted right after establishing is answered at once, not after the 15 s quiet period', async () => {
    const { a, b, keyA, keyB } = await establishedPair();
    // A restarts: new process, same configuration, no memory of the session.
    const restarted = new TestEngine(configFor(keyA, keyB, B), A);
    restarted.now = b.now += 1_000;
    restarted.control.tick(restarted.now);
    const rest = await exchange(restarted, b);
    const installedA = sessions(rest.a) as Extract<ToWorker, { type: 'installSession' }>[];
    const installedB = sessions(rest.b) as Extract<ToWorker, { type: 'installSession' }>[];
    expect(installedA).toHaveLength(1);
    expect(installedB).toHaveLength(1);
    expect(Buffer.from(installedA[0]!.key).equals(Buffer.from(installedB[0]!.key))).toBe(true);
    expect(a.peer('other').established).toBe(true);
  });

  it('answers reconnecting inits inside the quiet period at most once per RECONNECT_ANSWER_INTERVAL', async () => {
    const { b, keyA, keyB } = await establishedPair();
    const inits = async () => {
      const restarted = new TestEngine(configFor(keyA, keyB, B), A);
      restarted.now = b.now;
      restarted.control.tick(restarted.now);
      for (const message of restarted.take())
        if (message.type === 'sendPacket') await b.driver.receive(0, A, message.packet);
      return b.take().filter((message) => message.type === 'sendPacket').length;
    };
    b.now += 100;
    expect(await inits()).toBe(1);
    b.now += RECONNECT_ANSWER_INTERVAL - 200;
    expect(await inits()).toBe(0);
    b.now += 200;
    expect(await inits()).toBe(1);
  });

  it('ignores inits with an established peer\'s key from other addresses inside the quiet period, as fastd does', async () => {
    const { b, keyA, keyB } = await establishedPair();
    // B has no remote for A, so A floats: its key is accepted from anywhere.
    const restarted = new TestEngine(configFor(keyA, keyB, B), A);
    restarted.now = b.now;
    restarted.control.tick(restarted.now);
    const packets = restarted.take().flatMap((message) => (message.type === 'sendPacket' ? [message.packet] : []));
    let answered = 0;
    for (let second = 1; second < MIN_HANDSHAKE_INTERVAL / 1_000; second++) {
      b.now += 1_000;
      for (let host = 1; host <= 40; host++) {
        for (const packet of packets) await b.driver.receive(0, endpoint(`198.18.0.${host}`, 10001), packet);
        answered += b.take().filter((message) => message.type === 'sendPacket').length;
      }
    }
    expect(answered).toBe(0);
    expect(b.peer('other').location?.endpoint).toEqual(A);
    // The peer's own address is still answered.
    for (const packet of packets) await b.driver.receive(0, A, packet);
    expect(b.take().filter((message) => message.type === 'sendPacket').length).toBe(1);
  });
});

describe('the peer state file', () => {
  it('remembers established peers where they are, and a restart\'s remembered peers until they are back', async () => {
    const { a, b, keyA, keyB } = await establishedPair();
    const elsewhere = endpoint('192.0.2.9', 10009);
    const unknown = { key: 'ab'.repeat(32), endpoint: elsewhere };
    // b has `other` (a) established at A: the file's entry for it gives way to where it is
    expect(b.control.rememberedPeers([{ key: keyA.public, endpoint: elsewhere }, unknown])).toEqual([{ key: keyA.public, endpoint: A }]);
    // a fresh engine that has not seen its peer yet keeps the remembered entry; unconfigured keys go
    const fresh = new TestEngine(configFor(keyB, keyA, undefined), B);
    expect(fresh.control.rememberedPeers([{ key: keyA.public, endpoint: elsewhere }, unknown])).toEqual([{ key: keyA.public, endpoint: elsewhere }]);
    expect(a.control.rememberedPeers()).toEqual([{ key: keyB.public, endpoint: B }]);
  });
});

describe('resets', () => {
  it('a reset peer (SIGUSR2) is sent a handshake at once, even within MIN_HANDSHAKE_INTERVAL of the last one, as fastd does', () => {
    const [keyA, keyB] = orderedKeyPairs();
    const a = new TestEngine(configFor(keyA, keyB, B), A);
    a.control.tick(a.now);
    expect(a.take().map((message) => message.type)).toEqual(['remoteEndpoints', 'sendPacket', 'sendPacket']);
    a.now += 3_000;
    a.control.resetAll(a.now);
    a.control.tick(a.now);
    const sent = a.take();
    expect(sent.map((message) => message.type)).toEqual(['sendPacket', 'sendPacket']);
    expect(sent[0]).toMatchObject({ endpoint: B });
    // The rate limit still holds between two attempts of one schedule.
    a.now += 1_000;
    a.peer('other').nextHandshake = a.now;
    a.control.deadlinesChanged(a.peer('other'));
    a.control.tick(a.now);
    expect(a.take()).toEqual([]);
  });
});

describe('timers', () => {
  it('sends a keepalive after KEEPALIVE_TIMEOUT without traffic, not before (peer without remote)', async () => {
    const { b } = await establishedPair();
    const peer = b.peer('other');
    b.control.sessionConfirmed(peer, b.now);
    setStat(b, peer.peerId, PeerStat.LastReceive, b.now);
    b.now += KEEPALIVE_TIMEOUT - 1;
    b.control.tick(b.now);
    expect(b.take().filter((message) => message.type === 'keepalive')).toHaveLength(0);
    b.now += 1;
    b.control.tick(b.now);
    expect(b.take()).toEqual([{ type: 'keepalive', peerIds: [peer.peerId] }]);
    // The worker's LastSend counts as traffic.
    setStat(b, peer.peerId, PeerStat.LastSend, b.now + KEEPALIVE_TIMEOUT / 2);
    b.now += KEEPALIVE_TIMEOUT;
    b.control.tick(b.now);
    expect(b.take().filter((message) => message.type === 'keepalive')).toHaveLength(0);
  });

  it('probes a quiet peer it has a remote for every RESTART_PROBE_INTERVAL, so a restarted peer answers', async () => {
    const { a } = await establishedPair();
    const peer = a.peer('other');
    a.control.sessionConfirmed(peer, a.now);
    setStat(a, peer.peerId, PeerStat.LastReceive, a.now);
    setStat(a, peer.peerId, PeerStat.LastSend, a.now);
    a.now += RESTART_PROBE_INTERVAL - 1;
    a.control.tick(a.now);
    expect(a.take()).toEqual([]);
    a.now += 1;
    a.control.tick(a.now);
    expect(a.take()).toEqual([{ type: 'keepalive', peerIds: [peer.peerId] }]);
    // Hearing from the peer stops the probes.
    setStat(a, peer.peerId, PeerStat.LastReceive, a.now + RESTART_PROBE_INTERVAL);
    a.now += RESTART_PROBE_INTERVAL;
    a.control.tick(a.now);
    expect(a.take()).toEqual([]);
  });

  it('resets a peer PEER_STALE_TIME after the last packet received and starts handshaking again', async () => {
    const { a } = await establishedPair();
    const peer = a.peer('other');
    a.control.sessionConfirmed(peer, a.now);
    const lastReceive = a.now + 5_000;
    setStat(a, peer.peerId, PeerStat.LastReceive, lastReceive);
    setStat(a, peer.peerId, PeerStat.LastSend, lastReceive + PEER_STALE_TIME);
    a.now = lastReceive + PEER_STALE_TIME - 1;
    a.control.tick(a.now);
    expect(a.take()).toEqual([]);
    expect(peer.established).toBe(true);
    a.now += 1;
    a.control.tick(a.now);
    expect(a.take()).toEqual([{ type: 'removePeer', peerId: peer.peerId }]);
    expect(peer.established).toBe(false);
    // The peer has a remote: its next handshake is due at once, both framings.
    a.control.tick(a.now);
    expect(a.take().map((message) => message.type)).toEqual(['sendPacket', 'sendPacket']);
    expect(peer.phase).toBe('handshake');
  });

  it('keeps handshaking every ~20 s until the first packet on the new session arrives', async () => {
    const { a } = await establishedPair();
    const peer = a.peer('other');
    setStat(a, peer.peerId, PeerStat.LastReceive, a.now + 60_000);
    setStat(a, peer.peerId, PeerStat.LastSend, a.now + 60_000);
    // random() = 0.5: the jitter lands in the middle, exactly DEFAULT_HANDSHAKE_INTERVAL.
    a.now += DEFAULT_HANDSHAKE_INTERVAL;
    a.control.tick(a.now);
    expect(a.take().map((message) => message.type)).toEqual(['sendPacket', 'sendPacket']);
    a.control.sessionConfirmed(peer, a.now);
    a.now += DEFAULT_HANDSHAKE_INTERVAL * 2;
    a.control.tick(a.now);
    expect(a.take()).toEqual([]);
  });

  it('a tick visits only the peers whose deadline came: between them no peer\'s statistics are read', async () => {
    const { a, b } = await establishedPair();
    for (const engine of [a, b]) {
      const peer = engine.peer('other');
      engine.control.sessionConfirmed(peer, engine.now);
      setStat(engine, peer.peerId, PeerStat.LastReceive, engine.now);
      setStat(engine, peer.peerId, PeerStat.LastSend, engine.now);
      const reads = vi.spyOn(engine.control, 'stat');
      // the next deadlines (a's probe, b's keepalive) are later than the timer's one-second cap
      expect(engine.control.tick(engine.now)).toBe(engine.now + 1_000);
      expect(reads).not.toHaveBeenCalled();
      engine.now += 500;
      engine.control.tick(engine.now);
      expect(reads).not.toHaveBeenCalled();
      expect(engine.take()).toEqual([]);
      reads.mockRestore();
    }
  });

  it('keepalives that come due within one second go out together, at its end, in one message', async () => {
    const [keyA, keyB] = orderedKeyPairs();
    const [keyC] = orderedKeyPairs();
    const C = endpoint('192.0.2.3', 10003);
    const b = new TestEngine(`secret "${keyB.secret}"; mode tap; method "null";
peer "a" { key "${keyA.public}"; }
peer "c" { key "${keyC.public}"; }\n`, B);
    for (const [key, at] of [[keyA, A], [keyC, C]] as const) {
      const client = new TestEngine(configFor(key, keyB, B), at);
      client.now = b.now;
      client.control.tick(client.now);
      await exchange(client, b);
    }
    const [peerA, peerC] = [b.peer('a'), b.peer('c')];
    const start = b.now;
    for (const [peer, sent] of [[peerA, start + 200], [peerC, start + 700]] as const) {
      b.control.sessionConfirmed(peer, start);
      setStat(b, peer.peerId, PeerStat.LastReceive, start + 60_000);
      setStat(b, peer.peerId, PeerStat.LastSend, sent);
    }
    b.take();
    b.now = start + 200 + KEEPALIVE_TIMEOUT;
    b.control.tick(b.now);
    b.now = start + 700 + KEEPALIVE_TIMEOUT;
    b.control.tick(b.now);
    expect(b.take()).toEqual([]);
    b.now = start + 1_000 + KEEPALIVE_TIMEOUT;
    b.control.tick(b.now);
    expect(b.take()).toEqual([{ type: 'keepalive', peerIds: [peerA.peerId, peerC.peerId] }]);
  });

  it('the initiator refreshes the session before KEY_REFRESH, the responder does not', async () => {
    const { a, b } = await establishedPair(() => 0);
    for (const engine of [a, b]) {
      const peer = engine.peer('other');
      engine.control.sessionConfirmed(peer, engine.now);
      engine.now += KEY_REFRESH;
      setStat(engine, peer.peerId, PeerStat.LastReceive, engine.now);
      setStat(engine, peer.peerId, PeerStat.LastSend, engine.now);
      engine.control.tick(engine.now);
    }
    expect(a.take().map((message) => message.type)).toEqual(['sendPacket', 'sendPacket']);
    expect(b.take()).toEqual([]);
  });
});

describe('peer limits', () => {
  it('a group at its limit stops handshakes of its other peers; nested limits all count', async () => {
    const [own, p1, p2, p3] = [...orderedKeyPairs(), ...orderedKeyPairs()];
    const text = `secret "${own.secret}"; mode tap; method "null";
peer group "outer" { peer limit 1;
  peer group "inner" { peer limit 2;
    peer "one" { key "${p1.public}"; remote 192.0.2.11:1; }
    peer "two" { key "${p2.public}"; remote 192.0.2.12:1; }
  }
}
peer "free" { key "${p3.public}"; remote 192.0.2.13:1; }\n`;
    const engine = new TestEngine(text, A);
    const [one, two, free] = ['one', 'two', 'free'].map((name) => engine.peer(name));
    expect(engine.control.table.mayConnect(two!)).toBe(true);
    one!.phase = 'established';
    expect(engine.control.table.mayConnect(one!)).toBe(true);
    // inner allows 2, but outer allows only 1.
    expect(engine.control.table.mayConnect(two!)).toBe(false);
    expect(engine.control.table.mayConnect(free!)).toBe(true);
    engine.take();
    engine.now += 3_000;
    two!.nextHandshake = engine.now;
    free!.nextHandshake = engine.now;
    engine.control.deadlinesChanged(two!);
    engine.control.deadlinesChanged(free!);
    engine.control.tick(engine.now);
    const targets = engine
      .take()
      .flatMap((message) => (message.type === 'sendPacket' ? [message.endpoint.address] : []));
    expect(targets).toEqual(['192.0.2.13', '192.0.2.13']);
    expect(two!.remoteIndex).toBe(-1);
  });
});

describe('unknown peers', () => {
  async function verifyCase(status: number) {
    const [keyA, keyB] = orderedKeyPairs();
    const a = new TestEngine(configFor(keyA, keyB, B), A);
    const bText = `secret "${keyB.secret}"; mode tap; method "null"; on verify "check-peer";\n`;
    const b = new TestEngine(bText, B);
    b.verifyStatus = status;
    a.control.tick(a.now);
    const rest = await exchange(a, b);
    return { a, b, rest, keyA };
  }

  it('`on verify` exiting 0 admits a dynamic peer, with the peer in its environment', async () => {
    const { b, rest, keyA } = await verifyCase(0);
    expect(b.hooks[0]).toMatchObject({ command: 'check-peer', env: { PEER_KEY: keyA.public, PEER_ADDRESS: '192.0.2.1', PEER_PORT: '10001' } });
    expect(b.hooks[0]!.env.PEER_NAME).toBeUndefined();
    expect(sessions(rest.b)).toHaveLength(1);
    expect(sessions(rest.a)).toHaveLength(1);
  });

  it('`on verify` exiting non-zero refuses the peer and forgets it', async () => {
    const { b, rest } = await verifyCase(1);
    expect(b.hooks).toHaveLength(1);
    expect(sessions(rest.a)).toHaveLength(0);
    expect(b.control.table.size).toBe(0);
  });

  it('answers data from unknown addresses with one handshake per address and interval, whatever the port', () => {
    const [keyA, keyB] = orderedKeyPairs();
    const a = new TestEngine(configFor(keyA, keyB, undefined), A);
    a.take();
    a.driver.unknownData(0, endpoint('203.0.113.5', 4000));
    a.driver.unknownData(0, endpoint('203.0.113.5', 4001));
    const sent = a.take();
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ type: 'sendPacket', endpoint: { address: '203.0.113.5', port: 4000 } });
    // One handshake, in the L2TP framing (packet type 0xC8 first).
    expect((sent[0] as SentPacket).packet[0]).toBe(0xc8);
    a.now += MIN_HANDSHAKE_INTERVAL;
    a.driver.unknownData(0, endpoint('203.0.113.5', 4002));
    expect(a.take()).toHaveLength(1);
    // Pre-v22 data (type 0x02) is answered with a bare handshake (type 0x01) only.
    a.driver.unknownData(0, endpoint('203.0.113.6', 4000), true);
    const bare = a.take() as SentPacket[];
    expect(bare.map((message) => message.packet[0])).toEqual([0x01]);
  });
});

describe('unknown addresses without floating peers', () => {
  it('with every peer at fixed remotes and no `on verify`, data from elsewhere gets no handshake, as in fastd; a remote does', () => {
    const [keyA, keyB] = orderedKeyPairs();
    const stranger = endpoint('203.0.113.5', 4000);
    const fixed = new TestEngine(configFor(keyA, keyB, B), A);
    fixed.driver.unknownData(0, stranger);
    expect(fixed.take()).toEqual([]);
    // B is a peer's remote: its data prompts a handshake (fast reconnect), even before our first one to it.
    fixed.driver.unknownData(0, B);
    expect(fixed.take().map((message) => message.type)).toEqual(['sendPacket']);
    // A floating peer, or `on verify`, makes any address worth an answer.
    for (const extra of ['', 'on verify "true";']) {
      const text = extra ? configFor(keyA, keyB, B, extra) : configFor(keyA, keyB, B).replace('remote', 'float yes; remote');
      const open = new TestEngine(text, A);
      open.take();
      open.driver.unknownData(0, stranger);
      expect(open.take().map((message) => message.type)).toEqual(['sendPacket']);
    }
  });
});

describe('float', () => {
  it('a floating peer follows its authentic packets to a new address; a fixed one stays', async () => {
    for (const floating of [true, false]) {
      const [keyA, keyB] = orderedKeyPairs();
      const a = new TestEngine(configFor(keyA, keyB, undefined), A);
      // The peer has a remote; `float yes` lets it move anyway.
      const bText = `secret "${keyB.secret}"; mode tap; method "null";
peer "other" { key "${keyA.public}"; remote ${A.address}:${A.port}; ${floating ? 'float yes;' : ''} }\n`;
      const fixedOrFloating = new TestEngine(bText, B);
      fixedOrFloating.control.tick(fixedOrFloating.now);
      await exchange(fixedOrFloating, a);
      const peer = fixedOrFloating.peer('other');
      expect(peer.established).toBe(true);
      const moved = endpoint('198.51.100.9', 777);
      fixedOrFloating.control.peerMoved(peer, { socketId: 0, endpoint: moved }, fixedOrFloating.now);
      const posted = fixedOrFloating.take();
      if (floating) {
        expect(posted).toEqual([{ type: 'setPeerAddress', peerId: peer.peerId, socketId: 0, endpoint: moved }]);
        expect(peer.location?.endpoint).toEqual(moved);
      } else {
        expect(posted).toEqual([]);
        expect(peer.location?.endpoint).toEqual(A);
      }
    }
  });
});

describe('resolving', () => {
  it('looks a remote\'s name up at most once per MIN_RESOLVE_INTERVAL, as fastd does', async () => {
    const [keyA, keyB] = orderedKeyPairs();
    const lookups: string[] = [];
    const spy = vi.spyOn(log, 'verbose').mockImplementation((line: unknown) => {
      if (String(line).startsWith('resolving host')) lookups.push(String(line));
    });
    try {
      const a = new TestEngine(configFor(keyA, keyB, undefined, '').replace('"other" {', '"other" { remote "localhost" port 10002;'), A);
      const peer = a.peer('other');
      for (let i = 0; i < 100 && !peer.resolved[0]?.length; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(peer.resolved[0]?.length).toBeGreaterThan(0);
      // The first handshake goes out and the peer comes round to its (only) remote again.
      a.control.tick(a.now);
      expect(a.take().filter((message) => message.type === 'sendPacket')).toHaveLength(2);
      expect(lookups).toEqual(["resolving host `localhost' for peer <other>..."]);
      a.now += MIN_RESOLVE_INTERVAL;
      peer.nextHandshake = a.now;
      a.control.deadlinesChanged(peer);
      a.control.tick(a.now);
      expect(lookups).toHaveLength(2);
    } finally {
      spy.mockRestore();
    }
  });
});

describe("the configured peers' remotes", () => {
  const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
  const remoteSets = (engine: TestEngine) =>
    engine.take().flatMap((message) => (message.type === 'remoteEndpoints' ? [message.endpoints.map((at) => `${at.address}:${at.port}`)] : []));

  it('are told to the workers before the first handshake leaves for them, and again when they change: the answers count as known peers\'', async () => {
    const [keyA, keyB] = orderedKeyPairs();
    const C = endpoint('192.0.2.3', 10003);
    const a = new TestEngine(
      configFor(keyA, keyB, B) + `peer "third" { key "${keyPair().public}"; remote ${C.address}:${C.port}; remote "localhost" port 10004; }\n`,
      A,
    );
    a.control.tick(a.now);
    const first = a.take();
    expect(first[0]).toEqual({ type: 'remoteEndpoints', endpoints: [B, C] });
    expect(first.slice(1).every((message) => message.type === 'sendPacket')).toBe(true);
    // a name that resolves joins the set, once a turn of the event loop
    const third = a.peer('third');
    for (let i = 0; i < 100 && !third.resolved[1]?.length; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    await nextTurn();
    expect(remoteSets(a)).toEqual([['192.0.2.2:10002', '192.0.2.3:10003', '127.0.0.1:10004']]);
    // a peer that goes (a reload) leaves it
    a.control.delete(third);
    await nextTurn();
    expect(remoteSets(a)).toEqual([['192.0.2.2:10002']]);
  });
});

describe('fast reconnect', () => {
  it('answers data from an unknown sender with one handshake, logged in fastd\'s words', () => {
    const [keyA, keyB] = orderedKeyPairs();
    const b = new TestEngine(configFor(keyB, keyA, undefined), B);
    const lines: string[] = [];
    const spies = (['debug', 'verbose'] as const).map((level) =>
      vi.spyOn(log, level).mockImplementation((line: unknown) => void lines.push(String(line))),
    );
    try {
      b.driver.unknownData(0, A);
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    expect(b.take().filter((message) => message.type === 'sendPacket')).toHaveLength(1);
    expect(lines).toEqual(['unexpectedly received payload data from 192.0.2.1:10001', 'sending handshake to unknown peer 192.0.2.1:10001']);
  });
});

describe('methods', () => {
  it("gives each peer its group's methods in configured order, one list a group for every handshake", () => {
    const [own, p1, p2, p3] = [...orderedKeyPairs(), ...orderedKeyPairs()];
    const text = `secret "${own.secret}"; mode tap; method "salsa2012+umac"; method "null";
peer "one" { key "${p1.public}"; }
peer "two" { key "${p2.public}"; }
peer group "plain" { method "null";
  peer "three" { key "${p3.public}"; }
}\n`;
    const engine = new TestEngine(text, A);
    const [one, two, three] = ['one', 'two', 'three'].map((name) => engine.control.handshakePeer(engine.peer(name)));
    expect(one!.methods.map((method) => method.name)).toEqual(['salsa2012+umac', 'null']);
    expect(three!.methods.map((method) => method.name)).toEqual(['null']);
    expect(two!.methods).toBe(one!.methods);
    expect(engine.control.handshakePeer(engine.peer('one')).methods).toBe(one!.methods);
  });
});
