// Peer directories loaded and reloaded (SIGHUP) into a running control plane.
import { mkdtempSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPeerDirs } from '../../src/engine/peer-reload.js';
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
});
