// After a kill -9, fastd-ts handshakes the Debian fastd routers the peer state file
// remembers, where they were, instead of waiting for their keepalives or retries. Asserted
// through the mechanism (the supernode's log names a handshake to each router, and each
// answered it), not through timing: without the file the same routers come back too, only
// through fast reconnect or their own retries, and no greeting is logged.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { BenchDaemon } from '../../../src/bench/daemon.ts';
import { SupernodeLab } from '../../../src/bench/supernode-lab.ts';
import { cleanUpEverything } from '../../../src/testbed/cleanup.ts';
import { haveDebianFastd, haveNetns, isRoot, requireSystem } from '../../helpers/prereq.ts';
import { until } from '../../helpers/wait.ts';

const ok = requireSystem('restart greeting', {
  root: isRoot,
  netns: haveNetns,
  fastd: haveDebianFastd,
  'fastd-ts build (npm run build)': existsSync(fileURLToPath(new URL('../../../dist/cli/main.js', import.meta.url))),
});

const ROUTERS = 6;
const START_MS = 30_000;
/** Generous: routers retry on their own within ~20 s, and a peer without traffic goes stale after 90 s. */
const BACK_MS = 100_000;
const DEADLINE_MS = 400_000;

async function allConnected(lab: SupernodeLab, supernode: BenchDaemon): Promise<void> {
  await until(`all ${ROUTERS} routers connected to ${supernode.label}`, BACK_MS, async () => (await lab.connected(supernode)) === ROUTERS || undefined);
}

/** Start, every router connected, then kill -9 and start again until all are back; the second run's log. */
async function restartedLog(lab: SupernodeLab, label: string, args: readonly string[], beforeKill: (supernode: BenchDaemon) => Promise<void>): Promise<string> {
  const supernode = lab.supernode('fastd-ts', label, ['--log-level', 'verbose', ...args]);
  try {
    await lab.startSupernode(supernode, START_MS);
    await lab.statusAnswers(supernode, START_MS);
    await lab.startClients();
    await allConnected(lab, supernode);
    await beforeKill(supernode);
    await supernode.kill();
    await lab.startSupernode(supernode, START_MS);
    await allConnected(lab, supernode);
    return supernode.log();
  } finally {
    await supernode.stop();
    await lab.stopClients();
  }
}

describe.runIf(ok)('restart greeting', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fastd-ts-restart-greeting-'));
  const lab = SupernodeLab.create(dir, { routers: ROUTERS, probes: 0, ownAddresses: false });
  afterAll(async () => {
    lab.delete();
    rmSync(dir, { recursive: true, force: true });
    await cleanUpEverything();
  });
  const routers = Array.from({ length: ROUTERS }, (_, i) => `<router${i}>[198.18.0.2:${20_000 + i}]`);

  it('handshakes every remembered router where it was, and each answers', async () => {
    const log = await restartedLog(lab, 'greeting', [], async (supernode) => {
      // the file beside the status socket lists them all (written within WRITE_INTERVAL)
      const path = `${supernode.statusPath}.peers`;
      await until('the peer state file listing every router', START_MS, () => {
        try {
          return (JSON.parse(readFileSync(path, 'utf8')) as { peers: unknown[] }).peers.length === ROUTERS || undefined;
        } catch {
          return undefined;
        }
      });
    });
    expect(log).toContain(`handshaking ${ROUTERS} peers where they were before the restart`);
    for (const router of routers) {
      expect(log).toContain(`sending handshake to ${router}...`);
      expect(log).toContain(`received handshake response from ${router}`);
    }
  }, DEADLINE_MS);

  it('without the file, greets nobody: the routers come back by fast reconnect or their own retries', async () => {
    const log = await restartedLog(lab, 'no-file', ['--peer-state-file', ''], async () => undefined);
    expect(log).not.toContain('where they were before the restart');
    for (const router of routers) expect(log).not.toContain(`sending handshake to ${router}...`);
  }, DEADLINE_MS);
});
