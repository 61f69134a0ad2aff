// The control plane's side of per-peer sockets (fastd's fastd_peer_reset_socket / free_socket):
// real UDP sockets on loopback, the messages to the worker recorded.
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfigText } from '../../../src/config/loader.js';
import type { ToWorker } from '../../../src/engine/datapath/messages.js';
import { EnginePeer } from '../../../src/engine/control/peer-state.js';
import { SocketTable } from '../../../src/engine/net/peer-sockets.js';
import { closeSockets, openSockets } from '../../../src/engine/net/sockets.js';
import { keyPair } from '../fixtures.js';

function setUp(binds: string) {
  const key = keyPair();
  const config = loadConfigText(`secret "${key.secret}"; mode tap; method "null"; ${binds}\npeer "p" { key "${keyPair().public}"; }\n`, 'full', '/').config;
  const configured = openSockets(config);
  const posts: ToWorker[] = [];
  const table = new SocketTable(config, configured, (message) => posts.push(message));
  const peer = (id: number) => new EnginePeer({ ...config.peers[0]!, name: `p${id}` }, id, false);
  return { config, configured, posts, table, peer };
}

let cleanUp: (() => void)[] = [];
afterEach(() => {
  for (const step of cleanUp) step();
  cleanUp = [];
});

describe('per-peer sockets', () => {
  it('a bind without a port opens nothing at start and a socket of its own per peer and attempt', () => {
    // The first bind is the default for IPv4; the second, with a port, is opened at start.
    const { configured, posts, table, peer } = setUp('bind 127.0.0.1; bind 127.0.0.2:0;');
    cleanUp.push(() => closeSockets(configured));
    expect(configured.map((bound) => bound.socket.local.address)).toEqual(['127.0.0.2']);
    const [a, b] = [peer(0), peer(1)];
    const first = table.forHandshake(a, 4)!;
    const other = table.forHandshake(b, 4)!;
    cleanUp.push(() => {
      table.release(a);
      table.release(b);
    });
    expect(first.socket.local.address).toBe('127.0.0.1');
    expect(first.socket.local.port).not.toBe(other.socket.local.port);
    expect(first.socketId).not.toBe(other.socketId);
    expect(table.get(first.socketId)).toBe(first);
    // The next attempt closes the previous socket and opens another.
    const second = table.forHandshake(a, 4)!;
    expect(posts.map((message) => message.type)).toEqual(['addSocket', 'addSocket', 'removeSocket', 'addSocket']);
    expect(posts[2]).toEqual({ type: 'removeSocket', socketId: first.socketId });
    expect(table.get(second.socketId)).toBe(second);
    // Reached through a configured socket (a handshake arrived there): its own one goes.
    table.claim(a, configured[0]!.socketId);
    expect(posts.at(-1)).toEqual({ type: 'removeSocket', socketId: second.socketId });
    expect(table.get(second.socketId)).toBeUndefined();
    // Reached through its own: it stays.
    table.claim(b, other.socketId);
    expect(table.get(other.socketId)).toBe(other);
  });

  it('a bind with a port is the one socket for everybody; a family without a bind gets none', () => {
    const { configured, posts, table, peer } = setUp('bind 127.0.0.1:0;');
    cleanUp.push(() => closeSockets(configured));
    expect(configured).toHaveLength(1);
    expect(table.forHandshake(peer(0), 4)).toBe(configured[0]);
    expect(table.forHandshake(peer(1), 4)).toBe(configured[0]);
    expect(table.forHandshake(peer(2), 6)).toBeUndefined();
    expect(posts).toEqual([]);
  });
});
