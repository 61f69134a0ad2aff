// Peer files are read with the rights the daemon has after dropping its privileges, as fastd
// reads them (after drop_caps): fastd-ts reads its peer directories while its workers start,
// before it drops them, so it must switch its reading thread to those rights. A file only
// another user may read is refused by `user nobody` and by root without its capabilities
// (`drop capabilities yes`, the default), and read by root that keeps them (`drop
// capabilities no`). Debian's fastd and fastd-ts run each configuration in turn and must list
// the same peers.
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { haveDebianFastd, haveNetns, isRoot, requireSystem } from '../../helpers/prereq.js';
import { haveFastdTsBuild } from '../../interop/harness/tunnel.js';
import { Daemon, DaemonGroup, generateKeyPair, loneDaemonSpec } from '../../interop/harness/daemon.js';
import { until } from '../../helpers/wait.js';
import { fetchStatus } from '../../../src/status/status-client.js';
import { UNDERLAY_ADDRESSES } from '../../../src/testbed/namespaces.js';

const PORT = 10_000;
const DEADLINE_MS = 30_000;
const USER = 'nobody';
/** The owner of the file no one else may read: an id no account here has. */
const STRANGER = 54_321;

const ok = requireSystem('engine: the rights peer files are read with, against Debian fastd', {
  root: isRoot,
  netns: haveNetns,
  fastd: haveDebianFastd,
  [`user ${USER}`]: spawnSync('getent', ['passwd', USER]).status === 0,
  'fastd-ts build (npm run build)': haveFastdTsBuild,
});

describe.runIf(ok)('peer files read with the dropped rights', () => {
  const group = new DaemonGroup('fastd-ts-rights-');
  const { dir, daemons } = group;
  // where the user may create the status socket, as under /run/fastd with fastd's packaging
  chmodSync(dir, 0o1777);
  const peers = join(dir, 'peers');
  mkdirSync(peers, { mode: 0o755 });
  chmodSync(peers, 0o755);
  writeFileSync(join(peers, 'open'), `key "${generateKeyPair('fastd-ts').public}";\n`, { mode: 0o644 });
  const closed = join(peers, 'closed');
  writeFileSync(closed, `key "${generateKeyPair('fastd-ts').public}";\n`, { mode: 0o600 });
  chownSync(closed, STRANGER, STRANGER);

  for (const statements of [[`user "${USER}"`], [], ['drop capabilities no']]) {
    const what = statements.length === 0 ? 'root, capabilities dropped' : statements.join('; ');
    it(`${what}: the same peers as Debian fastd`, async () => {
      const listed: string[][] = [];
      for (const kind of ['fastd', 'fastd-ts'] as const) {
        const label = `rights-${kind === 'fastd' ? 'c' : 'ts'}${daemons.length}`;
        const statusSocket = join(dir, `${label}.sock`);
        const daemon = new Daemon(
          group.namespaces.sides[0],
          loneDaemonSpec(kind, label, `${UNDERLAY_ADDRESSES[0]}:${PORT}`, statusSocket, { extraStatements: [...statements, `include peers from "${peers}"`] }),
          dir,
          label,
        );
        daemons.push(daemon);
        daemon.start();
        try {
          // the status socket answers once the directory is loaded, in both daemons
          const document = (await until('the status socket', DEADLINE_MS, async () => (existsSync(statusSocket) ? await fetchStatus(statusSocket).catch(() => undefined) : undefined))) as {
            peers: Record<string, { name: string | null }>;
          };
          listed.push(Object.values(document.peers).map((peer) => peer.name ?? '').sort());
        } finally {
          await daemon.stop();
        }
      }
      expect(listed[0], 'Debian fastd').toEqual(statements.includes('drop capabilities no') ? ['closed', 'open', 'p'] : ['open', 'p']);
      expect(listed[1], 'fastd-ts next to Debian fastd').toEqual(listed[0]);
    }, 90_000);
  }
});
