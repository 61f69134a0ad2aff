// Peer directories loaded and reloaded (SIGHUP) into a running control plane.
import { mkdtempSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { log } from '../../../src/log/logger.js';
import { loadPeerDirs, readPeerDirs, reloadPeers } from '../../../src/engine/control/peer-reload.js';
import { endpoint, keyPair, TestEngine } from '../fixtures.js';

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

  /** Writes the files of a directory below the test's; returns its path. */
  function peerDir(files: Record<string, string>): string {
    const path = mkdtempSync(join(dir, 'rules-'));
    for (const [name, text] of Object.entries(files)) writeFileSync(join(path, name), text);
    return path;
  }

  /** The lines the engine logs at warn and verbose while `run` runs. */
  function logged(run: () => void): string[] {
    const lines: string[] = [];
    const spies = (['warn', 'verbose'] as const).map((level) => vi.spyOn(log, level).mockImplementation((line: unknown) => void lines.push(String(line))));
    try {
      run();
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    return lines;
  }

  const names = (engine: TestEngine) => [...engine.control.table.all()].map((peer) => peer.config.name).sort();

  it('takes the directories as read while the workers started, unless a file came or went in them since', () => {
    const own = keyPair();
    const [first, rewritten, added] = [keyPair(), keyPair(), keyPair()];
    const path = peerDir({ a: `key "${first.public}";\n` });
    const config = `secret "${own.secret}"; mode tap; method "null"; include peers from "${path}";\n`;

    // a file rewritten in place leaves the directory as it was: the early read stands
    const engine = new TestEngine(config, endpoint('192.0.2.1', 1));
    const early = readPeerDirs(engine.control.config);
    writeFileSync(join(path, 'a'), `key "${rewritten.public}";\n`);
    loadPeerDirs(engine.control, engine.now, early);
    expect(engine.peer('a').config.key).toBe(first.public);

    // a file added since: the directory is read again
    const later = new TestEngine(config, endpoint('192.0.2.1', 1));
    const before = readPeerDirs(later.control.config);
    writeFileSync(join(path, 'b'), `key "${added.public}";\n`);
    loadPeerDirs(later.control, later.now, before);
    expect(names(later)).toEqual(['a', 'b']);
    expect(later.peer('a').config.key).toBe(rewritten.public);
  });

  it('ignores a peer with our own key, as fastd does ("found own key")', () => {
    const own = keyPair();
    const other = keyPair();
    const shared = peerDir({ self: `key "${own.public}";\n`, other: `key "${other.public}";\n` });
    const engine = new TestEngine(`secret "${own.secret}"; mode tap; method "null"; include peers from "${shared}";\n`, endpoint('192.0.2.1', 1));
    const lines = logged(() => loadPeerDirs(engine.control, engine.now));
    expect(names(engine)).toEqual(['other']);
    expect(lines).toContain('found own key as <self>, ignoring peer');
    // Nothing is sent to ourselves, and the status socket does not list us.
    engine.control.tick(engine.now);
    expect(engine.take().filter((message) => message.type === 'sendPacket')).toEqual([]);
  });

  it('ignores a configured peer with our own key too', () => {
    const own = keyPair();
    const lines = logged(() => {
      const engine = new TestEngine(`secret "${own.secret}"; mode tap; method "null"; peer "me" { key "${own.public}"; }\n`, endpoint('192.0.2.1', 1));
      expect(names(engine)).toEqual([]);
    });
    expect(lines).toEqual(['found own key as <me>, ignoring peer']);
  });

  it('disables both peers when a peer directory repeats a configured peer\'s key or another directory\'s, as fastd does', () => {
    const own = keyPair();
    const [fixed, twin, single] = [keyPair(), keyPair(), keyPair()];
    const first = peerDir({ 'fixed-again': `key "${fixed.public}";\n`, twin: `key "${twin.public}";\n`, single: `key "${single.public}";\n` });
    const second = peerDir({ 'twin-again': `key "${twin.public}";\n` });
    const engine = new TestEngine(
      `secret "${own.secret}"; mode tap; method "null"; on verify "true";
peer "fixed" { key "${fixed.public}"; remote 192.0.2.11:1; }
include peers from "${first}"; include peers from "${second}";\n`,
      endpoint('192.0.2.1', 1),
    );
    expect(names(engine)).toEqual(['fixed']);
    const lines = logged(() => loadPeerDirs(engine.control, engine.now));
    expect(names(engine)).toEqual(['single']);
    // fastd reads the directory listed last first.
    expect(lines.filter((line) => line.startsWith('duplicate')).sort()).toEqual([
      'duplicate key used by peers <fixed-again> and <fixed>, disabling both',
      'duplicate key used by peers <twin> and <twin-again>, disabling both',
    ]);

    // A disabled key is not admitted as a dynamic peer either.
    const intruder = new TestEngine(`secret "${twin.secret}"; mode tap; method "null"; peer "x" { key "${own.public}"; remote 192.0.2.1:1; }\n`, endpoint('192.0.2.9', 1));
    intruder.control.tick(intruder.now);
    return (async () => {
      for (const message of intruder.take()) if (message.type === 'sendPacket') await engine.driver.receive(0, intruder.local, message.packet);
      expect(engine.take().filter((message) => message.type === 'sendPacket')).toEqual([]);
      expect(names(engine)).toEqual(['single']);

      // Once the second file is gone, both keys are back.
      unlinkSync(join(first, 'fixed-again'));
      unlinkSync(join(second, 'twin-again'));
      loadPeerDirs(engine.control, engine.now);
      expect(names(engine)).toEqual(['fixed', 'single', 'twin']);
    })();
  });
});
