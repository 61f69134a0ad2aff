// The handshake state machine between two instances of itself: the three packets, both
// framings, pre-v22 peers, method negotiation, fastd's checks and error replies, its
// timers (time is passed in), and tampered packets.
import { describe, expect, it } from 'vitest';
import { parseHandshake } from '../../src/protocol/handshake-messages.js';
import { HandshakeFlag, RecordType, recordBytes, recordString, recordUint } from '../../src/protocol/tlv.js';
import { PacketType } from '../../src/protocol/wire.js';
import { deliver, fullHandshake, NULL, only, packetsOf, pairUp, receive, SALSA, side } from './handshake-sides.js';

describe('a handshake between two v22+ peers', () => {
  it('sends the init in both framings, answers behind L2TP and agrees on method and key', () => {
    const [alice, bob] = pairUp(side(), side());
    const { init, response, finish, done } = fullHandshake(alice, bob, 1000);
    expect(init.map((p) => p[0])).toEqual([PacketType.Handshake, PacketType.Control]);
    expect(init[1]!.subarray(12)).toEqual(init[0]);
    expect(packetsOf(response).map((p) => p[0])).toEqual([PacketType.Control]);
    expect(finish.kind).toBe('established');
    expect(done.kind).toBe('established');
    if (finish.kind !== 'established' || done.kind !== 'established') return;
    expect(finish.packets.map((p) => p[0])).toEqual([PacketType.Control]);
    expect(done.packets).toEqual([]);
    expect(finish.session.method).toBe(SALSA);
    expect(done.session.method).toBe(SALSA);
    expect(finish.session.key).toHaveLength(64);
    expect(finish.session.key).toEqual(done.session.key);
    expect([finish.session.initiator, done.session.initiator]).toEqual([true, false]);
    expect([finish.session.compat, done.session.compat]).toEqual([false, false]);
    expect(finish.session.peerVersion).toBe('v23');
  });

  it('keeps the peer key unpacked for the next handshake, and unpacks it again when the key changed', () => {
    const [alice, bob] = pairUp(side(), side());
    const first = fullHandshake(alice, bob, 1000);
    expect(alice.peer.state.keyPoint?.key).toBe(alice.peer.key);
    expect(bob.peer.state.keyPoint?.key).toBe(bob.peer.key);
    // the same state for another peer key (Alice's peer entry now names Carol)
    const carol = side();
    const [, carolSide] = pairUp(alice.handshake, carol);
    const toCarol = { handshake: alice.handshake, peer: { ...alice.peer, key: carol.publicKey } };
    const second = fullHandshake(toCarol, carolSide, 1000 + 60_000);
    expect(second.finish.kind).toBe('established');
    expect(second.done.kind).toBe('established');
    if (second.finish.kind !== 'established' || second.done.kind !== 'established' || first.finish.kind !== 'established') return;
    expect(second.finish.session.key).toEqual(second.done.session.key);
    expect(second.finish.session.key).not.toEqual(first.finish.session.key);
    expect(alice.peer.state.keyPoint?.key).toBe(carol.publicKey);
  });

  it('gives each handshake a fresh key and stays quiet for the minimum interval after it', () => {
    const [alice, bob] = pairUp(side(), side());
    const first = fullHandshake(alice, bob, 0);
    const early = only(deliver(bob, alice.handshake.initiate(alice.peer, 5_000), 5_000));
    expect(early).toMatchObject({ kind: 'drop', reason: 'received repeated handshakes from %P, ignoring' });
    const second = fullHandshake(alice, bob, 15_000);
    expect(second.done.kind).toBe('established');
    if (first.done.kind === 'established' && second.done.kind === 'established')
      expect(second.done.session.key).not.toEqual(first.done.session.key);
  });

  it('answers one init per address within the interval, but a different address at once', () => {
    const [alice, bob] = pairUp(side(), side());
    const init = alice.handshake.initiate(alice.peer, 0)[1]!;
    expect(receive(bob, init, 0, 'a:1').kind).toBe('reply');
    expect(receive(bob, init, 100, 'a:1')).toMatchObject({
      kind: 'drop',
      reason: 'not responding to repeated handshake from %P',
    });
    expect(receive(bob, init, 200, 'b:2').kind).toBe('reply');
    expect(receive(bob, init, 15_300, 'b:2').kind).toBe('reply');
  });

  it('answers an init repeated from other addresses with the response it built for the first, until what it is built from changes', () => {
    const [alice, bob] = pairUp(side(), side());
    const init = alice.handshake.initiate(alice.peer, 0)[1]!;
    const first = packetsOf(receive(bob, init, 0, 'a:1'));
    expect(packetsOf(receive(bob, init, 100, 'b:2'))).toBe(first);
    // another MTU or method list: built anew
    const otherMtu = packetsOf(receive({ ...bob, peer: { ...bob.peer, mtu: 1400 } }, init, 200, 'c:3'));
    expect(otherMtu).not.toBe(first);
    const parsed = parseHandshake(otherMtu[0]!);
    expect(parsed.ok && recordUint(parsed.handshake.records, RecordType.Mtu)).toBe(1400);
    const nullOnly = packetsOf(receive({ ...bob, peer: { ...bob.peer, methods: [NULL] } }, init, 300, 'd:4'));
    const withNull = parseHandshake(nullOnly[0]!);
    expect(withNull.ok && recordString(withNull.handshake.records, RecordType.MethodList)).toBe('null');
    // our handshake key rotated (15 s): a response on the new one
    const later = packetsOf(receive(bob, init, 15_100, 'e:5'));
    expect(later).not.toBe(nullOnly);
    const rotated = parseHandshake(later[0]!);
    const laterKey = rotated.ok && recordBytes(rotated.handshake.records, RecordType.SenderHandshakeKey, 32);
    const firstKey = parsed.ok && recordBytes(parsed.handshake.records, RecordType.SenderHandshakeKey, 32);
    expect(laterKey).not.toEqual(firstKey);
    // the kept response completes the handshake as a fresh one does
    const again = packetsOf(receive(bob, init, 15_200, 'f:6'));
    expect(again).toBe(later);
    const finish = only(deliver(alice, again, 15_200));
    expect(finish.kind).toBe('established');
    expect(only(deliver(bob, packetsOf(finish), 15_200)).kind).toBe('established');
  });

  it('lets the responder order the methods and fails with an error reply when none is common', () => {
    const [alice, bob] = pairUp(side(), side(), { methods: [SALSA, NULL] }, { methods: [NULL, SALSA] });
    const { finish } = fullHandshake(alice, bob, 0);
    expect(finish.kind === 'established' && finish.session.method).toBe(NULL);

    const [carol, dave] = pairUp(side(), side(), { methods: [SALSA] }, { methods: [NULL] });
    const response = only(deliver(dave, carol.handshake.initiate(carol.peer, 0), 0));
    const error = only(deliver(carol, packetsOf(response), 0));
    expect(error).toMatchObject({
      kind: 'reply',
      level: 'warn',
      reason: 'Handshake with %I failed: sending error: no common methods are configured',
    });
    const parsed = parseHandshake(packetsOf(error)[0]!);
    expect(parsed.ok && recordUint(parsed.handshake.records, RecordType.HandshakeType)).toBe(3);
    expect(only(deliver(dave, packetsOf(error), 0))).toMatchObject({
      kind: 'drop',
      level: 'warn',
      reason: 'Handshake with %I failed: received error: no common methods are configured',
    });
  });

  it('derives no key bytes for the null method', () => {
    const [alice, bob] = pairUp(side(), side(), { methods: [NULL] }, { methods: [NULL] });
    const { done } = fullHandshake(alice, bob, 0);
    expect(done.kind === 'established' && done.session.key).toHaveLength(0);
  });
});

describe('pre-v22 peers', () => {
  it('talk bare, without the flags record, and both sides establish in compat mode', () => {
    const [old, modern] = pairUp(side({ preV22: true }), side());
    const init = old.handshake.initiate(old.peer, 0);
    expect(init).toHaveLength(1);
    expect(init[0]![0]).toBe(PacketType.Handshake);
    const parsed = parseHandshake(init[0]!);
    expect(parsed.ok && parsed.handshake.records.offsets[RecordType.Flags]).toBe(-1);
    const response = only(deliver(modern, init, 0));
    expect(packetsOf(response).map((p) => p[0])).toEqual([PacketType.Handshake]);
    const finish = only(deliver(old, packetsOf(response), 0));
    const done = only(deliver(modern, packetsOf(finish), 0));
    expect(finish.kind === 'established' && finish.session.compat).toBe(true);
    expect(done.kind === 'established' && done.session.compat).toBe(true);
  });

  it('see only the bare copy of a v22 init and answer it bare', () => {
    const [modern, old] = pairUp(side(), side({ preV22: true }));
    const outcomes = modern.handshake.initiate(modern.peer, 0).map((p) => receive(old, p, 0));
    expect(outcomes.map((o) => o.kind)).toEqual(['reply', 'drop']);
    const finish = only(deliver(modern, packetsOf(outcomes[0]!), 0));
    expect(finish.kind === 'established' && finish.session.compat).toBe(true);
  });
});

describe("fastd's checks", () => {
  it('rejects a mode mismatch, an MTU mismatch and a foreign protocol with error replies', () => {
    const [tun, tap] = pairUp(side({ mode: 'tun' }), side());
    const mode = only(deliver(tap, tun.handshake.initiate(tun.peer, 0), 0));
    expect(mode).toMatchObject({ kind: 'reply', reason: 'Handshake with %I failed: sending error: TUN/TAP mode mismatch' });
    expect(only(deliver(tun, packetsOf(mode), 0))).toMatchObject({ reason: 'Handshake with %I failed: received error: TUN/TAP mode mismatch' });

    const [alice, bob] = pairUp(side(), side(), { mtu: 1400 }, { mtu: 1500 });
    const response = only(deliver(bob, alice.handshake.initiate(alice.peer, 0), 0));
    expect(only(deliver(alice, packetsOf(response), 0))).toMatchObject({
      kind: 'reply',
      reason: 'Handshake with %I failed: sending error: MTU configuration differs with peer (local MTU is 1400)',
    });

    const packet = alice.handshake.initiate(alice.peer, 0)[1]!;
    const name = Buffer.from(packet).indexOf('ec25519-fhmqvc');
    packet[name] = 'x'.charCodeAt(0);
    expect(receive(bob, packet, 0)).toMatchObject({
      kind: 'reply',
      reason: "Handshake with %I failed: sending error: peer doesn't use the handshake protocol `ec25519-fhmqvc'",
    });
  });

  it('drops a response whose records were tampered with, and one for a handshake key it never sent', () => {
    const [alice, bob] = pairUp(side(), side());
    const response = packetsOf(only(deliver(bob, alice.handshake.initiate(alice.peer, 0), 0)))[0]!;
    const tampered = response.slice();
    tampered[Buffer.from(tampered).indexOf('v23') + 2] ^= 1;
    expect(receive(alice, tampered, 0)).toMatchObject({
      kind: 'drop',
      reason: 'received invalid protocol handshake response from %P',
    });
    expect(receive(alice, response, 31_000)).toMatchObject({
      kind: 'drop',
      reason: 'received handshake reply with unexpected recipient handshake key from %P',
    });
  });

  it('drops a handshake meant for another key, and answers one without recipient key in its framing', () => {
    const [alice, bob] = pairUp(side(), side());
    const [, carol] = pairUp(alice.handshake, side());
    expect(receive(carol, alice.handshake.initiate(alice.peer, 0)[1]!, 0)).toMatchObject({
      kind: 'drop',
      reason: 'received protocol handshake with wrong recipient key from %P',
    });
    // Fast reconnect: one handshake, framed as the data packet that prompted it suggests.
    const anonymous = alice.handshake.initiate(undefined, 0, HandshakeFlag.L2tpSupport);
    expect(anonymous.map((p) => p[0])).toEqual([PacketType.Control]);
    expect(receive(bob, anonymous[0]!, 0).kind).toBe('reply');
    const [, old] = pairUp(alice.handshake, side({ preV22: true }));
    const bare = alice.handshake.initiate(undefined, 0, 0);
    expect(bare.map((p) => p[0])).toEqual([PacketType.Handshake]);
    expect(receive(old, bare[0]!, 0).kind).toBe('reply');
  });

  it('writes our version, mode and method list as fastd does', () => {
    const [alice, bob] = pairUp(side(), side({ mode: 'multitap', versionName: 'v22' }));
    const response = packetsOf(only(deliver(bob, alice.handshake.initiate(alice.peer, 0), 0)))[0]!;
    const parsed = parseHandshake(response);
    if (!parsed.ok) throw new Error(parsed.reason);
    const { records } = parsed.handshake;
    expect(recordString(records, RecordType.VersionName)).toBe('v22');
    expect(recordUint(records, RecordType.Mode)).toBe(0);
    expect(recordUint(records, RecordType.Mtu)).toBe(1426);
    expect(recordString(records, RecordType.MethodList)).toBe('salsa2012+umac');
    expect(recordUint(records, RecordType.ReplyCode)).toBe(0);
  });
});
