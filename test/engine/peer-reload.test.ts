// Peer directories loaded and reloaded (SIGHUP) into a running control plane.
import { mkdtempSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPeerDirs, reloadPeers } from '../../src/engine/peer-reload.js';
import { endpoint, keyPair, TestEngine } from './fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'fastd-ts-reload-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('peer directory reload', () => {
  it('adds, keeps, renames, reconnects and drops peers as their files say; a broken file costs only its peer', () => {
    const own = keyPair();
    const [one, two] = [keyPair(), keyPair()];
    writeFileSync(join(dir, 'one'), `key "${one.public}";\n`);
    writeFileSync(join(dir, 'two'), `key "${two.public}";\n`);
    const engine = new TestEngine(`secret "${own.secret}"; mode tap; method "null"; include peers from "${dir}";\n`, endpoint('192.0.2.1', 1));
    loadPeerDirs(engine.control, engine.now);
    const first = engine.peer('one');
    expect([...engine.control.table.all()].map((peer) => peer.config.name).sort()).toEqual(['one', 'two']);

    // A broken file and a rename: `one` keeps its state under its new name.
    writeFileSync(join(dir, 'broken'), 'key "nonsense";\n');
    renameSync(join(dir, 'one'), join(dir, 'uno'));
    loadPeerDirs(engine.control, engine.now);
    expect(engine.peer('uno')).toBe(first);
    expect([...engine.control.table.all()].map((peer) => peer.config.name).sort()).toEqual(['two', 'uno']);

    // A change (now with a remote) replaces the peer; a removed file drops it.
    writeFileSync(join(dir, 'uno'), `key "${one.public}"; remote 192.0.2.9:9;\n`);
    unlinkSync(join(dir, 'two'));
    loadPeerDirs(engine.control, engine.now);
    const changed = engine.peer('uno');
    expect(changed).not.toBe(first);
    expect(changed.config.remotes).toHaveLength(1);
    expect([...engine.control.table.all()].map((peer) => peer.config.name)).toEqual(['uno']);
  });

  it('SIGHUP restarts every unconnected configured peer at once, as fastd does; connected ones keep their session', () => {
    const own = keyPair();
    const [fixed, fromDir, connected] = [keyPair(), keyPair(), keyPair()];
    const peerDir = mkdtempSync(join(dir, 'hup-'));
    writeFileSync(join(peerDir, 'listed'), `key "${fromDir.public}"; remote 192.0.2.12:1;\n`);
    const engine = new TestEngine(
      `secret "${own.secret}"; mode tap; method "null"; include peers from "${peerDir}";
peer "fixed" { key "${fixed.public}"; remote 192.0.2.11:1; }
peer "connected" { key "${connected.public}"; remote 192.0.2.13:1; }\n`,
      endpoint('192.0.2.1', 1),
    );
    loadPeerDirs(engine.control, engine.now);
    engine.control.tick(engine.now);
    const targets = () =>
      engine
        .take()
        .flatMap((message) => (message.type === 'sendPacket' ? [message.endpoint.address] : []))
        .sort();
    expect(targets()).toEqual(['192.0.2.11', '192.0.2.11', '192.0.2.12', '192.0.2.12', '192.0.2.13', '192.0.2.13']);
    const listed = engine.peer('listed');
    engine.peer('connected').phase = 'established';
    engine.now += 3_000;
    reloadPeers(engine.control, engine.now);
    engine.control.tick(engine.now);
    expect(targets()).toEqual(['192.0.2.11', '192.0.2.11', '192.0.2.12', '192.0.2.12']);
    expect(engine.peer('listed')).toBe(listed);
    expect(engine.peer('connected').phase).toBe('established');
  });
});
