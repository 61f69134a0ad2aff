// Peer directories: loaded separately (start-up and SIGHUP), one error per broken file.
import { execFileSync } from 'node:child_process';
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../src/config/loader.ts';
import { loadPeerDir } from '../../src/config/peer-dir.ts';
import { MAX_CONFIG_FILE_BYTES } from '../../src/config/sources.ts';
import type { PeerGroup } from '../../src/config/types.ts';
import { probeUring } from '../../src/io/uring/availability.ts';
import { SMALL_FILE_BYTES, SmallFileReader } from '../../src/io/uring/small-files.ts';
import { makeTree, PUBLIC_KEYS, SECRET } from './helpers.ts';

function tree() {
  return makeTree({
    'fastd.conf': `secret "${SECRET}";\npeer group "dyn" { include peers from "peers"; }\n`,
    'peers/good': `key "${PUBLIC_KEYS[0]}";\nremote "good.example" port 10000;\n`,
    'peers/also-good': `include "../shared/remote.inc";\nkey "${PUBLIC_KEYS[1]}";\n`,
    'shared/remote.inc': 'remote 192.0.2.7:10000;\n',
    'peers/no-key': 'float yes;\n',
    'peers/broken': `key "${PUBLIC_KEYS[2]}"\n`,
    'peers/twin-1': `key "${PUBLIC_KEYS[3]}";\n`,
    'peers/twin-2': `key "${PUBLIC_KEYS[3]}";\n`,
    'peers/backup~': 'garbage',
    'peers/.hidden': 'garbage',
    'peers/subdir/x': 'garbage',
  });
}

describe('peer directories', () => {
  it('are listed per group as absolute paths, not read with the main config', () => {
    const dir = tree();
    const { config } = loadConfigFile(join(dir, 'fastd.conf'));
    expect(config.peers).toEqual([]);
    expect(config.peerGroup.children[0].peerDirs).toEqual([join(dir, 'peers')]);
  });

  // the same files read one by one, and in batches through io_uring where the kernel has it
  const ways: [string, (() => SmallFileReader | undefined) | undefined][] = [['file by file', undefined]];
  if (probeUring().available) ways.push(['through io_uring', SmallFileReader.open]);
  for (const [how, open] of ways) {
    const read = (dir: string, group: PeerGroup): ReturnType<typeof loadPeerDir> => {
      const reader = open?.();
      if (open) expect(reader, 'io_uring with OPENAT, READ and CLOSE').toBeDefined();
      try {
        return loadPeerDir(dir, group, reader);
      } finally {
        reader?.close();
      }
    };

    it(`load every good file and report each bad one, read ${how}`, () => {
      const dir = tree();
      const { config } = loadConfigFile(join(dir, 'fastd.conf'));
      const group = config.peerGroup.children[0];
      const result = read(group.peerDirs[0]!, group);
      // Twins are both read: disabling them is the engine's business (test/engine/control/peer-reload.test.ts).
      expect(result.peers.map((peer) => [peer.name, peer.key, peer.group.name, peer.sourceDir])).toEqual([
        ['also-good', PUBLIC_KEYS[1], 'dyn', join(dir, 'peers')],
        ['good', PUBLIC_KEYS[0], 'dyn', join(dir, 'peers')],
        ['twin-1', PUBLIC_KEYS[3], 'dyn', join(dir, 'peers')],
        ['twin-2', PUBLIC_KEYS[3], 'dyn', join(dir, 'peers')],
      ]);
      expect(result.peers[0].remotes).toEqual([{ kind: 'address', family: 'ipv4', address: '192.0.2.7', port: 10000 }]);
      expect(result.errors.map((error) => error.message)).toEqual([
        `config error: syntax error at ${join(dir, 'peers/broken')}:1:71`,
        `config error: no key configured for peer <no-key> at ${join(dir, 'peers/no-key')}:1:11`,
      ]);
      expect(Object.isFrozen(result.peers[0])).toBe(false);
    });

    it(`report a dangling link, binary junk and an oversized file each once, skip a FIFO and a link to a directory, and load the rest, read ${how}`, () => {
      const dir = makeTree({
        'fastd.conf': `secret "${SECRET}";\ninclude peers from "peers";\n`,
        'peers/good': `key "${PUBLIC_KEYS[0]}";\n`,
        'peers/long': `# ${'x'.repeat(SMALL_FILE_BYTES)}\nkey "${PUBLIC_KEYS[2]}";\n`,
        'elsewhere/peer': `key "${PUBLIC_KEYS[1]}";\n`,
        'peers/binary': Uint8Array.of(0xff, 0xfe, 0x00, 0x67),
        'peers/huge': 'a'.repeat(MAX_CONFIG_FILE_BYTES + 1),
      });
      symlinkSync(join(dir, 'nowhere'), join(dir, 'peers/dangling'));
      symlinkSync(join(dir, 'elsewhere/peer'), join(dir, 'peers/linked'));
      symlinkSync(join(dir, 'elsewhere'), join(dir, 'peers/linked-dir'));
      execFileSync('mkfifo', [join(dir, 'peers/fifo')]);
      const { config } = loadConfigFile(join(dir, 'fastd.conf'));
      const result = read(config.peerGroup.peerDirs[0]!, config.peerGroup);
      expect(result.peers.map((peer) => [peer.name, peer.key])).toEqual([['good', PUBLIC_KEYS[0]], ['linked', PUBLIC_KEYS[1]], ['long', PUBLIC_KEYS[2]]]);
      expect(result.errors.map((error) => error.message)).toEqual([
        `config error: syntax error at ${join(dir, 'peers/binary')}:1:1`,
        `config error: config file \`${join(dir, 'peers/huge')}' is larger than ${MAX_CONFIG_FILE_BYTES} bytes`,
      ]);
      expect(result.warnings.map((warning) => warning.message)).toEqual([
        `ignoring file \`${join(dir, 'peers/dangling')}': stat failed: no such file or directory (ENOENT)`,
      ]);
    });
  }

  it('report a directory that has gone away', () => {
    const dir = tree();
    const { config } = loadConfigFile(join(dir, 'fastd.conf'));
    const result = loadPeerDir(join(dir, 'gone'), config.peerGroup);
    expect(result.peers).toEqual([]);
    expect(result.errors.map((error) => error.message)).toEqual([
      `config error: can't read peer directory \`${join(dir, 'gone')}': no such file or directory (ENOENT)`,
    ]);
  });

  it('warn and skip a peer directory that cannot be entered', () => {
    const dir = makeTree({ 'fastd.conf': `secret "${SECRET}"; on verify "true"; include peers from "nowhere";` });
    const { config, warnings } = loadConfigFile(join(dir, 'fastd.conf'));
    expect(config.peerGroup.peerDirs).toEqual([]);
    expect(warnings[0].message).toBe("ignoring peer directory `nowhere': no such file or directory (ENOENT)");
  });
});
