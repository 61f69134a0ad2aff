// Remotes: resolution honouring the configured family, IPv4-mapped addresses, scoped IPv6
// literals, and the handshake going round several remotes in turn.
import { describe, expect, it } from 'vitest';
import { endpointKey } from '../../../src/engine/control/endpoints.js';
import { endpointOf, resolveRemote } from '../../../src/engine/control/remotes.js';
import { DEFAULT_HANDSHAKE_INTERVAL } from '../../../src/protocol/timing.js';
import { endpoint, orderedKeyPairs, TestEngine, type SentPacket } from '../fixtures.js';

describe('resolving remotes', () => {
  it('a hostname resolves within the family the config names', async () => {
    const v4 = await resolveRemote({ kind: 'hostname', family: 'ipv4', hostname: 'localhost', port: 1000 }, '<test>');
    expect(v4.length).toBeGreaterThan(0);
    expect(v4.every((found) => found.family === 4 && found.port === 1000)).toBe(true);
    expect(v4.map((found) => found.address)).toContain('127.0.0.1');
  });

  it('an unresolvable name gives no addresses instead of an error', async () => {
    expect(await resolveRemote({ kind: 'hostname', family: undefined, hostname: 'no-such-host.invalid', port: 1 }, '<test>')).toEqual([]);
  });

  it('IPv4-mapped IPv6 is the IPv4 peer; a scoped literal keeps its scope', () => {
    expect(endpointOf('::ffff:192.0.2.7', 5)).toEqual({ family: 4, address: '192.0.2.7', port: 5, scopeId: 0 });
    expect(endpointOf('fe80::1%7', 5)).toEqual({ family: 6, address: 'fe80::1', port: 5, scopeId: 7 });
    // A dual-stack socket reports the mapped form; it is the same peer address.
    expect(endpointKey({ family: 6, address: '::ffff:192.0.2.7', port: 5, scopeId: 0 })).toBe(endpointKey(endpoint('192.0.2.7', 5)));
  });
});

describe('several remotes', () => {
  it('are tried in turn, one handshake round each, then from the first again', () => {
    const [own, other] = orderedKeyPairs();
    const text = `secret "${own.secret}"; mode tap; method "null";
peer "multi" { key "${other.public}"; remote 192.0.2.21:1; remote 192.0.2.22:2; }\n`;
    const engine = new TestEngine(text, endpoint('192.0.2.1', 10000));
    const targets: string[] = [];
    for (let round = 0; round < 3; round++) {
      engine.control.tick(engine.now);
      const sent = engine.take().filter((message): message is SentPacket => message.type === 'sendPacket');
      targets.push(...new Set(sent.map((message) => message.endpoint.address)));
      engine.now += DEFAULT_HANDSHAKE_INTERVAL;
    }
    expect(targets).toEqual(['192.0.2.21', '192.0.2.22', '192.0.2.21']);
  });
});
