// The benchmark and test switches are read once, at the entry point (cli/development-switches.ts);
// the engine, io and protocol code takes them as settings.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readDevelopmentSwitches } from '../../src/cli/development-switches.js';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => join(entry.parentPath, entry.name));
}

describe('development switches', () => {
  it('are all off (mechanisms on, no test behaviour) in an empty environment', () => {
    expect(readDevelopmentSwitches({})).toEqual({ udpOffloads: true, tunOffloads: true, uringWait: true, gather: true, preV22: false, misplacePeers: false });
  });

  it('each variable turns its one switch, keeping the names the bench, tests and README use', () => {
    expect(readDevelopmentSwitches({ FASTD_TS_GSO: '0' })).toMatchObject({ udpOffloads: false, tunOffloads: true, uringWait: true });
    expect(readDevelopmentSwitches({ FASTD_TS_OFFLOAD: '0' })).toMatchObject({ udpOffloads: true, tunOffloads: false, uringWait: true });
    expect(readDevelopmentSwitches({ FASTD_TS_URING_WAIT: '0' })).toMatchObject({ udpOffloads: true, tunOffloads: true, uringWait: false });
    expect(readDevelopmentSwitches({ FASTD_TS_GATHER: '0' })).toMatchObject({ uringWait: true, gather: false });
    expect(readDevelopmentSwitches({ FASTD_TS_TEST_PRE_V22: '1' })).toMatchObject({ preV22: true, misplacePeers: false });
    expect(readDevelopmentSwitches({ FASTD_TS_TEST_MISPLACE_PEERS: '1' })).toMatchObject({ preV22: false, misplacePeers: true });
    // only the documented values switch
    expect(readDevelopmentSwitches({ FASTD_TS_GSO: '1', FASTD_TS_TEST_PRE_V22: '0' })).toMatchObject({ udpOffloads: true, preV22: false });
  });

  it('are not read below the entry point: engine, io and protocol do not look at process.env', () => {
    const readers = ['engine', 'io', 'protocol']
      .flatMap((dir) => sources(join(SRC, dir)))
      .filter((file) => readFileSync(file, 'utf8').includes('process.env'))
      .map((file) => file.slice(SRC.length));
    // the --daemon parent's mark for its child (set and read in one module), and the
    // environment hooks inherit: neither is a switch
    expect(readers.sort()).toEqual(['engine/control/hooks.ts', 'engine/daemon/daemonize.ts']);
  });
});
