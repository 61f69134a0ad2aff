// The TAP interface of a daemon with several datapath workers: one IFF_MULTI_QUEUE device
// with a queue per worker, and a clear error where an existing device without multi-queue
// support stands in the way. Runs the compiled module inside a private namespace, so no
// interface ever appears in the host's.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NamespacePair } from '../../../src/testbed/namespaces.js';
import { haveNetns, isRoot, requireSystem } from '../../helpers/prereq.js';
import { haveFastdTsBuild } from '../../interop/harness/daemon.js';

const INTERFACES = fileURLToPath(new URL('../../../dist/engine/net/interfaces.js', import.meta.url));
const CONFIG = fileURLToPath(new URL('../../../dist/config/loader.js', import.meta.url));
/** A TAP configuration with a real key pair (from Debian's fastd --generate-key). */
const CONFIG_TEXT =
  'secret "c0eda007e878d974a4cc435b6044f63b7e366cfb95e76654c47019ceca835e6a"; method "null"; mode tap;\n' +
  'peer "p" { key "be6e5da0e8547ac47f815c9be3856519c702a8706a2b25c6f6c954a31db8ec00"; }\n';
/** IFF_MULTI_QUEUE in /sys/class/net/<name>/tun_flags. */
const IFF_MULTI_QUEUE = 0x100;

const ok = requireSystem('multi-queue TAP', { root: isRoot, netns: haveNetns, 'fastd-ts build (npm run build)': haveFastdTsBuild });

describe.runIf(ok)('TAP queues for several workers', () => {
  let namespaces: NamespacePair;

  beforeAll(() => {
    namespaces = NamespacePair.create();
  });

  afterAll(() => {
    namespaces?.delete();
  });

  /** Opens `name` with `queues` queues in the namespace; prints the queue fds or the error, and what the kernel says of it. */
  function open(name: string, queues: number): { fds?: number[]; error?: string; flags?: number } {
    const script = `
      import { loadConfigText } from ${JSON.stringify(CONFIG)};
      import { openInterface } from ${JSON.stringify(INTERFACES)};
      import { readFileSync } from 'node:fs';
      const { config } = loadConfigText(${JSON.stringify(CONFIG_TEXT)}, 'full', '/');
      try {
        const tap = openInterface(config, ${JSON.stringify(name)}, 1400, ${queues});
        const flags = Number(readFileSync('/sys/class/net/${name}/tun_flags', 'utf8'));
        console.log(JSON.stringify({ fds: [tap.device.fd, ...tap.extraQueues.map((q) => q.fd)], flags }));
      } catch (error) {
        console.log(JSON.stringify({ error: error.message }));
      }`;
    const output = execFileSync('ip', ['netns', 'exec', namespaces.sides[0].name, process.execPath, '--input-type=module', '-e', script], { encoding: 'utf8' });
    return JSON.parse(output.trim().split('\n').pop()!) as { fds?: number[]; error?: string; flags?: number };
  }

  it('opens one multi-queue device with a queue per worker', () => {
    const result = open('mq0', 3);
    expect(result.error).toBeUndefined();
    expect(new Set(result.fds).size).toBe(3);
    expect(result.flags! & IFF_MULTI_QUEUE).toBe(IFF_MULTI_QUEUE);
  });

  it('keeps a single worker\'s device as before, without multi-queue', () => {
    const result = open('sq0', 1);
    expect(result.fds).toHaveLength(1);
    expect(result.flags! & IFF_MULTI_QUEUE).toBe(0);
  });

  it('names the way out when a device without multi-queue support exists already', () => {
    namespaces.sides[0].ip('tuntap', 'add', 'dev', 'old0', 'mode', 'tap');
    const result = open('old0', 2);
    expect(result.error).toMatch(/interface old0 exists without multi-queue support .* delete it, or configure `workers 1;`/);
  });
});
