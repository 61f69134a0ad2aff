// The status socket and the PID file belong to whom fastd gives them (issue 11 point 9): fastd
// creates both with its effective ids switched to `user`/`group` and with the process's umask,
// so an exporter running as that user can read the status. Debian's fastd and fastd-ts run
// the same configuration in turn; owner, group and mode of both files must match, and the
// configured user must be able to read the status from both or from neither.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { haveDebianFastd, haveNetns, isRoot, requireSystem } from '../../helpers/prereq.js';
import { haveFastdTsBuild } from '../../interop/harness/tunnel.js';
import { Daemon, DaemonGroup, loneDaemonSpec } from '../../interop/harness/daemon.js';
import { until } from '../../helpers/wait.js';
import { UNDERLAY_ADDRESSES } from '../../../src/testbed/namespaces.js';

const PORT = 10_000;
const DEADLINE_MS = 30_000;
const USER = 'nobody';
const GROUP = 'nogroup';

const haveAccounts = spawnSync('getent', ['passwd', USER]).status === 0 && spawnSync('getent', ['group', GROUP]).status === 0;
const haveSocat = spawnSync('socat', ['-V']).status === 0;

const ok = requireSystem('engine: status socket and PID file ownership against Debian fastd', {
  root: isRoot,
  netns: haveNetns,
  fastd: haveDebianFastd,
  [`user ${USER} and group ${GROUP}`]: haveAccounts,
  socat: haveSocat,
  'fastd-ts build (npm run build)': haveFastdTsBuild,
});

interface Created {
  readonly file: string;
  readonly uid: number;
  readonly gid: number;
  readonly mode: string;
}

function created(file: string): Created {
  const { uid, gid, mode } = statSync(file);
  return { file: file.endsWith('.pid') ? 'pid file' : 'status socket', uid, gid, mode: (mode & 0o7777).toString(8) };
}

/** Whether `USER` gets a JSON document from the status socket (what an unprivileged exporter would do). */
function readableByUser(socket: string): boolean {
  const result = spawnSync('runuser', ['-u', USER, '--', 'socat', '-u', `UNIX-CONNECT:${socket}`, '-'], { encoding: 'utf8', timeout: DEADLINE_MS });
  return result.status === 0 && result.stdout.startsWith('{');
}

describe.runIf(ok)('status socket and PID file ownership', () => {
  // where the user may create files, as under /run/fastd with fastd's packaging
  const group = new DaemonGroup('fastd-ts-owner-');
  const { dir, daemons } = group;
  chmodSync(dir, 0o1777);

  for (const statements of [[`user "${USER}"`, `group "${GROUP}"`], [`user "${USER}"`], [`group "${GROUP}"`], []]) {
    const what = statements.length === 0 ? 'no user or group' : statements.join('; ');
    it(`${what}: as Debian fastd creates them`, async () => {
      const results: { files: Created[]; readable: boolean }[] = [];
      for (const kind of ['fastd', 'fastd-ts'] as const) {
        const label = `own-${kind === 'fastd' ? 'c' : 'ts'}${daemons.length}`;
        const statusSocket = join(dir, `${label}.sock`);
        const pidFile = join(dir, `${label}.pid`);
        const daemon = new Daemon(
          group.namespaces.sides[0],
          loneDaemonSpec(kind, label, `${UNDERLAY_ADDRESSES[0]}:${PORT}`, statusSocket, { extraStatements: statements, args: ['--pid-file', pidFile] }),
          dir,
          label,
        );
        daemons.push(daemon);
        daemon.start();
        try {
          await daemon.waitForLog(/dropped capabilities/);
          await until('the status socket and the PID file', DEADLINE_MS, () => (existsSync(statusSocket) && existsSync(pidFile) ? true : undefined));
          results.push({ files: [created(statusSocket), created(pidFile)], readable: readableByUser(statusSocket) });
        } finally {
          await daemon.stop();
        }
      }
      expect(results[1], 'fastd-ts next to Debian fastd').toEqual(results[0]);
    }, 90_000);
  }
});
