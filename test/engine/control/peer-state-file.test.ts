// The peer state file: written atomically, ignored when stale or broken (one warning), and
// written at most once per interval however often peers change, plus once at shutdown.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { log } from '../../../src/log/logger.js';
import { MAX_AGE, PeerStateWriter, readPeerState, writePeerState, type RememberedPeer } from '../../../src/engine/control/peer-state-file.js';

const KEY = 'ab'.repeat(32);
const PEER: RememberedPeer = { key: KEY, endpoint: { family: 4, address: '198.18.0.2', port: 20000, scopeId: 0 } };
const V6_PEER: RememberedPeer = { key: 'cd'.repeat(32), endpoint: { family: 6, address: 'fe80::1', port: 10000, scopeId: 3 } };

let dir: string;
let path: string;
let warnings: string[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fastd-ts-peer-state-'));
  path = join(dir, 'fastd.sock.peers');
  warnings = [];
  vi.spyOn(log, 'warn').mockImplementation((line: unknown) => void warnings.push(String(line)));
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
  rmSync(dir, { recursive: true, force: true });
});

describe('the peer state file', () => {
  it('gives back what was written, and nothing when there is no file', () => {
    expect(readPeerState(path, 0)).toEqual([]);
    writePeerState(path, [PEER, V6_PEER], 1_000);
    expect(readPeerState(path, 2_000)).toEqual([PEER, V6_PEER]);
    expect(warnings).toEqual([]);
  });

  it('is replaced by a rename, leaving no temporary file behind', () => {
    writePeerState(path, [PEER], 1_000);
    writePeerState(path, [V6_PEER], 2_000);
    expect(readdirSync(dir)).toEqual(['fastd.sock.peers']);
    expect(readPeerState(path, 2_000)).toEqual([V6_PEER]);
  });

  it('is ignored once older than MAX_AGE', () => {
    writePeerState(path, [PEER], 1_000);
    expect(readPeerState(path, 1_000 + MAX_AGE)).toEqual([PEER]);
    expect(readPeerState(path, 1_001 + MAX_AGE)).toEqual([]);
    expect(warnings).toEqual([]);
  });

  it('is ignored with one warning when broken: not JSON, another version, or a bad entry', () => {
    const broken = [
      '{"version":1,"written":',
      JSON.stringify({ version: 2, written: 0, peers: [] }),
      JSON.stringify({ version: 1, written: 0, peers: [{ key: 'xyz', family: 4, address: '198.18.0.2', port: 1, scopeId: 0 }] }),
      JSON.stringify({ version: 1, written: 0, peers: [{ key: KEY, family: 4, address: '198.18.0.2', port: 70000, scopeId: 0 }] }),
    ];
    for (const text of broken) {
      writeFileSync(path, text);
      warnings.length = 0;
      expect(readPeerState(path, 0)).toEqual([]);
      expect(warnings).toEqual([`ignoring broken peer state file ${path}`]);
    }
  });

  it('is written at most once per interval while peers change, and once more at close', () => {
    vi.useFakeTimers();
    let now = 0;
    let collected = 0;
    const writer = new PeerStateWriter(path, () => (collected++, [PEER]), () => now, 5_000);
    writer.changed();
    expect(collected).toBe(1);
    for (now = 1; now < 5_000; now += 100) writer.changed();
    expect(collected).toBe(1);
    now = 5_000;
    vi.advanceTimersByTime(5_000);
    expect(collected).toBe(2);
    // nothing changed since: no write
    now = 20_000;
    vi.advanceTimersByTime(15_000);
    expect(collected).toBe(2);
    writer.changed();
    expect(collected).toBe(3);
    writer.close();
    expect(collected).toBe(4);
    writer.changed();
    vi.advanceTimersByTime(60_000);
    expect(collected).toBe(4);
    expect(JSON.parse(readFileSync(path, 'utf8')).written).toBe(20_000);
  });

  it('warns once while writes fail', () => {
    const writer = new PeerStateWriter(join(dir, 'missing', 'peers'), () => [PEER], () => 0, 0);
    writer.changed();
    writer.changed();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^can't write peer state file/);
  });
});
