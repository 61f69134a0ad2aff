// Start-up (issue 11 point 6), next to Debian fastd: the UDP port is bound before the daemon's
// modules are loaded, so a router's handshake sent while the supernode starts waits in the
// socket buffer and is answered, not lost to a closed port (the router would retry only 20 s
// later). A router started at the very same instant still sends its first handshake before
// Node has even started our code (~25 ms after exec against Node's ~40 ms, several times that
// on a loaded machine): that figure is printed next to fastd's (whose own start loses the race
// too when the machine is busy), not asserted. Signals that arrive during start-up neither kill
// the daemon nor start Node's inspector; the status socket answers valid JSON from its first
// connection on. Times are printed next to fastd's; the only bounds are generous ones.
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { requireTunnel, type DaemonKind } from '../../interop/harness/tunnel.js';
import { Daemon, DaemonGroup, generateKeyPair, type DaemonSpec, type KeyPair } from '../../interop/harness/daemon.js';
import { fetchStatus } from '../../../src/status/status-client.js';
import { sleep, until } from '../../helpers/wait.js';
import { UNDERLAY_ADDRESSES } from '../../../src/testbed/namespaces.js';

const PORT = 10_000;
const DEADLINE_MS = 30_000;
/** fastd retries a lost first handshake after 17–20 s; a tunnel up well before that was answered from the socket buffer. */
const SAME_INSTANT_LIMIT_MS = 5_000;

const ok = requireTunnel('engine: start-up against Debian fastd');

/** True when the process (in its own network namespace) has a UDP socket bound to `port`. */
function udpBound(pid: number, port: number): boolean {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  for (const table of ['udp', 'udp6']) {
    try {
      const lines = readFileSync(`/proc/${pid}/net/${table}`, 'utf8').split('\n').slice(1);
      if (lines.some((line) => line.trim().split(/\s+/)[1]?.endsWith(hex))) return true;
    } catch {
      return false;
    }
  }
  return false;
}

/** Polls `probe` as fast as the event loop allows (every millisecond) until it holds. */
async function spin(what: string, probe: () => boolean): Promise<void> {
  const deadline = Date.now() + DEADLINE_MS;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await sleep(1);
  }
}

/** Connects to the status socket once: the text it answered, or undefined when there was nothing to connect to. */
function statusOnce(path: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = connect(path);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ENOENT' || error.code === 'ECONNREFUSED' ? undefined : `error ${error.code}`));
  });
}

describe.runIf(ok)('start-up', () => {
  const group = new DaemonGroup('fastd-ts-startup-');
  const { dir, daemons } = group;
  let count = 0;

  function daemon(side: 0 | 1, kind: DaemonKind, keys: KeyPair, peer: DaemonSpec['peer']): Daemon {
    const label = `st${count++}-${kind === 'fastd' ? 'c' : 'ts'}`;
    const created = new Daemon(
      group.namespaces.sides[side],
      {
        kind,
        mode: 'tap',
        methods: ['null'],
        mtu: 1406,
        interfaceName: label,
        bind: `${UNDERLAY_ADDRESSES[side]}:${PORT}`,
        keys,
        peer,
        statusSocket: join(dir, `${label}.sock`),
      },
      dir,
      label,
    );
    daemons.push(created);
    return created;
  }

  /** A supernode of `kind` on side 0 and a Debian fastd router on side 1 that knows the supernode's address. */
  function pair(kind: DaemonKind): { supernode: Daemon; router: Daemon } {
    const supernodeKeys = generateKeyPair('fastd-ts');
    const routerKeys = generateKeyPair('fastd-ts');
    const supernode = daemon(0, kind, supernodeKeys, { name: 'router', key: routerKeys.public });
    const router = daemon(1, 'fastd', routerKeys, { name: 'supernode', key: supernodeKeys.public, remote: `${UNDERLAY_ADDRESSES[0]}:${PORT}` });
    return { supernode, router };
  }

  async function established(router: Daemon): Promise<true> {
    return until('the router\'s connection', DEADLINE_MS, async () => {
      const document = (await fetchStatus(router.spec.statusSocket).catch(() => undefined)) as
        | { peers: Record<string, { connection: unknown }> }
        | undefined;
      return document && Object.values(document.peers).some((peer) => peer.connection) ? true : undefined;
    });
  }

  it(`a router whose handshake reaches the supernode while it starts connects within ${SAME_INSTANT_LIMIT_MS / 1000} s; the same-instant start next to Debian fastd`, async () => {
    const seconds: Record<string, number> = {};
    for (const kind of ['fastd', 'fastd-ts'] as const) {
      const { supernode, router } = pair(kind);
      const started = performance.now();
      supernode.start();
      router.start();
      try {
        await established(router);
        seconds[kind] = (performance.now() - started) / 1000;
      } finally {
        await Promise.all([supernode.stop(), router.stop()]);
      }
    }
    // The router is started the moment our port is bound: its first handshake arrives while
    // the daemon still loads, waits in the socket buffer and must be answered from there.
    const { supernode, router } = pair('fastd-ts');
    const started = performance.now();
    supernode.start();
    let whileStarting: number;
    try {
      await spin('the UDP port', () => udpBound(supernode.pid!, PORT));
      router.start();
      await established(router);
      whileStarting = (performance.now() - started) / 1000;
    } finally {
      await Promise.all([supernode.stop(), router.stop()]);
    }
    process.stdout.write(
      `same-instant start, tunnel up after: fastd ${seconds.fastd!.toFixed(2)} s, fastd-ts ${seconds['fastd-ts']!.toFixed(2)} s; ` +
        `router started once fastd-ts's port is bound: ${whileStarting.toFixed(2)} s\n`,
    );
    // The same-instant figures are a race even for fastd on a loaded machine (one run here: 23 s): printed only.
    expect(whileStarting).toBeLessThan(SAME_INSTANT_LIMIT_MS / 1000);
  }, 120_000);

  it('binds the UDP port before it loads the daemon (before its "starting" line); exec-to-bound time next to fastd\'s', async () => {
    const times: Record<string, number> = {};
    for (const kind of ['fastd', 'fastd-ts'] as const) {
      const { supernode } = pair(kind);
      const started = performance.now();
      supernode.start();
      try {
        await spin('the UDP port', () => udpBound(supernode.pid!, PORT));
        times[kind] = performance.now() - started;
        if (kind === 'fastd-ts') expect(supernode.log()).not.toMatch(/starting/);
        await supernode.waitForLog(/starting/);
      } finally {
        await supernode.stop();
      }
    }
    process.stdout.write(`exec to UDP port bound: fastd ${times.fastd!.toFixed(0)} ms, fastd-ts ${times['fastd-ts']!.toFixed(0)} ms\n`);
  }, 60_000);

  it('a SIGHUP or SIGUSR1 during start-up neither kills the daemon nor starts the inspector; the SIGHUP is acted on once it runs', async () => {
    const { supernode } = pair('fastd-ts');
    supernode.start();
    try {
      const pid = supernode.pid!;
      // The first moment we can see from outside: the port is bound, the daemon not loaded yet.
      // (Before Node has run any of our code, nothing can catch a signal.)
      await spin('the UDP port', () => udpBound(pid, PORT));
      process.kill(pid, 'SIGHUP');
      process.kill(pid, 'SIGUSR1');
      await supernode.waitForLog(/reconfigure triggered/);
      await until('the status socket', DEADLINE_MS, () => (existsSync(supernode.spec.statusSocket) ? true : undefined));
      expect(supernode.running).toBe(true);
      expect(supernode.log()).not.toMatch(/Debugger listening/);
    } finally {
      await supernode.stop();
    }
  }, 60_000);

  it('the status socket answers valid JSON from its first connection on', async () => {
    const { supernode } = pair('fastd-ts');
    const path = supernode.spec.statusSocket;
    supernode.start();
    const answers: string[] = [];
    try {
      let firstAt: number | undefined;
      while (firstAt === undefined || performance.now() - firstAt < 1_000) {
        const answer = await statusOnce(path);
        if (answer !== undefined) {
          answers.push(answer);
          firstAt ??= performance.now();
        }
        if (answers.length === 0 && !supernode.running) throw new Error(`fastd-ts exited:\n${supernode.log()}`);
        await sleep(2);
      }
    } finally {
      await supernode.stop();
    }
    const invalid = answers.filter((answer) => {
      try {
        return typeof JSON.parse(answer) !== 'object';
      } catch {
        return true;
      }
    });
    expect(answers.length).toBeGreaterThan(0);
    expect(invalid, `${invalid.length} of ${answers.length} answers`).toEqual([]);
    expect(supernode.log()).not.toMatch(/can't dump status/);
  }, 60_000);
});

