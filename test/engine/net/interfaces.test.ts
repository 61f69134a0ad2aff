// Interface names as fastd forms them (fastd_iface_format_name): the global pattern, a
// peer's own `interface`, `%n` and `%k`, the kernel's choice, and IFNAMSIZ.
import { describe, expect, it } from 'vitest';
import { loadConfigText } from '../../../src/config/loader.js';
import { interfaceName, InterfaceError, peerMtu, usesSingleInterface } from '../../../src/engine/net/interfaces.js';
import { keyPair } from '../fixtures.js';

const own = keyPair();
const [k1, k2] = [keyPair(), keyPair()];

function config(statements: string, peers = `peer "gw1" { key "${k1.public}"; } peer "gw2" { key "${k2.public}"; mtu 1300; }`) {
  return loadConfigText(`secret "${own.secret}"; method "null"; ${statements}\n${peers}\n`, 'full', '/').config;
}

describe('interface names', () => {
  it('multitap: %n is the peer name, %k the first 16 hex digits of its key, the rest kept', () => {
    const withName = config('mode multitap; interface "mt-%n";');
    expect(interfaceName(withName, withName.peers[0], false)).toBe('mt-gw1');
    // 16 hex digits fill IFNAMSIZ - 1 = 15 bytes already: the last one is cut, as fastd's snprintf does.
    const withKey = config('mode multitap; interface "%k";');
    expect(interfaceName(withKey, withKey.peers[1], false)).toBe(k2.public.slice(0, 15));
  });

  it('several peers without a pattern leave the name to the kernel; a peer may name its own interface', () => {
    const plain = config('mode multitap; interface "fixed";', `peer "a" { key "${k1.public}"; } peer "b" { key "${k2.public}"; interface "own-b"; }`);
    expect(interfaceName(plain, plain.peers[0], usesSingleInterface(plain, plain.peers.length))).toBe('');
    expect(interfaceName(plain, plain.peers[1], false)).toBe('own-b');
  });

  it('TUN with exactly one peer uses the global name as is', () => {
    const single = config('mode tun; interface "fixed";', `peer "a" { key "${k1.public}"; }`);
    expect(usesSingleInterface(single, single.peers.length)).toBe(true);
    expect(interfaceName(single, single.peers[0], true)).toBe('fixed');
  });

  it('names longer than IFNAMSIZ - 1 bytes are cut, and TAP mode refuses peer patterns', () => {
    const long = config('mode multitap; interface "very-long-prefix-%n";', `peer "gw1" { key "${k1.public}"; }`);
    expect(interfaceName(long, long.peers[0], false)).toBe('very-long-prefi');
    // The config check refuses this already; the interface code does not rely on it.
    const tap = { ...config('mode tap;'), interface: 'tap-%n' };
    expect(() => interfaceName(tap, undefined, true)).toThrow(InterfaceError);
  });

  it('a peer mtu counts in TUN and multitap mode, never in TAP mode', () => {
    const multitap = config('mode multitap; mtu 1400;');
    expect(peerMtu(multitap, multitap.peers[1])).toBe(1300);
    expect(peerMtu(multitap, multitap.peers[0])).toBe(1400);
    const tap = config('mode tap; mtu 1400;');
    expect(peerMtu(tap, tap.peers[1])).toBe(1400);
  });
});
