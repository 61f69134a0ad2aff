// bin/fastd-ts as a process: start-up refusals, signals (SIGHUP reloads a peer directory with
// a broken file in it, SIGUSR2 resets, SIGTERM runs the down hooks and cleans up), the
// status socket's permissions, and --daemon. Debian's fastd is the peer in a private
// namespace pair; deadlines only turn hangs into failures.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, onTestFailed } from 'vitest';
import { derivePublicKey, generateSecretKey, keyToHex } from '../../../src/crypto/ec25519/keys.js';
import { DEBIAN_FASTD } from '../../helpers/prereq.js';
import { cleanUpEverything, haveFastdTsBuild, requireTunnel } from '../../interop/harness/tunnel.js';
import { NamespacePair, UNDERLAY_ADDRESSES } from '../../../src/testbed/namespaces.js';
import { fetchStatus } from '../../../src/status/status-client.js';
import { sleep, until } from '../../helpers/wait.js';

const FASTD_TS = fileURLToPath(new URL('../../../bin/fastd-ts', import.meta.url));
const PORT = 10_000;
const DEADLINE_MS = 30_000;

function keyPair() {
  const secret = generateSecretKey();
  return { secret: keyToHex(secret), public: keyToHex(derivePublicKey(secret)) };
}

const dir = mkdtempSync(join(tmpdir(), 'fastd-ts-daemon-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.runIf(haveFastdTsBuild)('start-up refusals', () => {
  it('`offload l2tp yes` fails at start-up with a clear error, as fastd v23 does on a kernel without L2TP', () => {
    const config = join(dir, 'l2tp.conf');
    const key = keyPair();
    writeFileSync(
      config,
      `secret "${key.secret}"; mode multitap; persist interface no; offload l2tp yes; method "null@l2tp";\npeer "p" { key "${keyPair().public}"; }\n`,
    );
    const result = spawnSync(process.execPath, [FASTD_TS, '--config', config], { encoding: 'utf8', timeout: DEADLINE_MS });
    expect(result.status).toBe(1);
    const expected = existsSync('/sys/module/l2tp_core') ? /L2TP offload is not supported/ : /this kernel has no L2TP support/;
    expect(result.stderr).toMatch(expected);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});

const ok = requireTunnel('engine: the daemon process against Debian fastd');

/** A process in a namespace with its output in a log file. */
class Running {
  private output = '';
  readonly exited: Promise<number | null>;

  constructor(readonly child: ChildProcess) {
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString('utf8')));
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  static start(namespace: string, command: string, args: string[]): Running {
    return new Running(spawn('ip', ['netns', 'exec', namespace, command, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }));
  }

  get log(): string {
    return this.output;
  }

  waitForLog(pattern: RegExp, from = 0): Promise<true> {
    return until(`log line ${pattern}`, DEADLINE_MS, () => (pattern.test(this.output.slice(from)) ? true : undefined));
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await this.exited;
    clearTimeout(timer);
  }
}

describe.runIf(ok)('the daemon process', () => {
  const ours = keyPair();
  const theirs = keyPair();
  let namespaces: NamespacePair | undefined;
  const running: Running[] = [];
  afterAll(async () => {
    await Promise.all(running.map((process) => process.stop()));
    namespaces?.delete();
    cleanUpEverything();
  });

  /** Debian fastd on side 1 (passive), our daemon on side 0 with the peer in a peer directory; earlier tests' processes stopped. */
  async function setUp(tag: string) {
    await Promise.all(running.splice(0).map((process) => process.stop()));
    namespaces ??= NamespacePair.create();
    const work = join(dir, tag);
    const peers = join(work, 'peers');
    mkdirSync(peers, { recursive: true });
    const fastdConfig = join(work, 'fastd.conf');
    writeFileSync(
      fastdConfig,
      `mode tap; interface "fastd-${tag}"; method "null"; bind ${UNDERLAY_ADDRESSES[1]}:${PORT}; secret "${theirs.secret}";\n` +
        `peer "ours" { key "${ours.public}"; }\n`,
    );
    const peerFile = (extra = '') => `key "${theirs.public}"; remote ${UNDERLAY_ADDRESSES[1]}:${PORT}; ${extra}\n`;
    writeFileSync(join(peers, 'fastd'), peerFile());
    const status = join(work, 'status.sock');
    const oursConfig = join(work, 'ours.conf');
    writeFileSync(
      oursConfig,
      `log level verbose; mode tap; interface "ours-${tag}"; method "null"; bind ${UNDERLAY_ADDRESSES[0]}:${PORT};\n` +
        `secret "${ours.secret}"; status socket "${status}";\n` +
        `on down "echo down $INTERFACE > ${join(work, 'down')}"; on post-down "echo post-down > ${join(work, 'post-down')}";\n` +
        `include peers from "${peers}";\n`,
    );
    const fastd = Running.start(namespaces.sides[1].name, DEBIAN_FASTD, ['--config', fastdConfig]);
    running.push(fastd);
    onTestFailed(() => {
      for (const process of running) globalThis.process.stderr.write(`----- log\n${process.log}\n`);
    });
    const args = [FASTD_TS, '--config', oursConfig, '--pid-file', join(work, 'pid')];
    return { work, peers, peerFile, status, args, fastd };
  }

  async function connection(status: string) {
    const document = (await fetchStatus(status)) as { peers: Record<string, { connection: { established: number } | null }> };
    return document.peers[theirs.public]?.connection;
  }

  function establishedWithin(status: string, daemon?: Running) {
    return until('the connection', DEADLINE_MS, async () => {
      if (daemon && daemon.child.exitCode !== null) throw new Error(`fastd-ts exited:\n${daemon.log}`);
      return (await connection(status).catch(() => undefined)) ? true : undefined;
    });
  }

  it('SIGHUP reloads the peer directory: a broken file is reported, the running peer keeps its session; a change reconnects; removal drops', async () => {
    const { peers, peerFile, status, args } = await setUp('hup');
    const daemon = Running.start(namespaces!.sides[0].name, process.execPath, args);
    running.push(daemon);
    await establishedWithin(status, daemon);

    writeFileSync(join(peers, 'broken'), 'key "not a key";\n');
    let mark = daemon.log.length;
    daemon.child.kill('SIGHUP');
    await daemon.waitForLog(/reconfigure triggered[\s\S]*broken/, mark);
    await sleep(500);
    expect((await connection(status))?.established).toBeGreaterThan(0);
    expect(daemon.log.slice(mark)).not.toMatch(/disestablished/);

    unlinkSync(join(peers, 'broken'));
    writeFileSync(join(peers, 'fastd'), peerFile('float yes;'));
    mark = daemon.log.length;
    daemon.child.kill('SIGHUP');
    await daemon.waitForLog(/has changed[\s\S]*connection with <fastd> established/, mark);

    unlinkSync(join(peers, 'fastd'));
    mark = daemon.log.length;
    daemon.child.kill('SIGHUP');
    await daemon.waitForLog(/deleting peer <fastd>/, mark);
    const document = (await fetchStatus(status)) as { peers: Record<string, unknown> };
    expect(document.peers[theirs.public]).toBeUndefined();
    await daemon.stop();
  }, 90_000);

  it('a second daemon on a port the first one serves fails with "Address already in use", as a second Debian fastd does, instead of joining its SO_REUSEPORT group and taking a share of its peers', async () => {
    const { work, status, args } = await setUp('twice');
    const [ours0, side1] = namespaces!.sides;
    const first = Running.start(ours0.name, process.execPath, [...args, '--workers', '2']);
    running.push(first);
    await establishedWithin(status, first);
    const again = (tag: string, address: string) => {
      const config = join(work, `${tag}.conf`);
      writeFileSync(config, `mode tap; interface "${tag}"; method "null"; bind ${address}:${PORT}; secret "${keyPair().secret}";\npeer "p" { key "${keyPair().public}"; }\n`);
      return config;
    };
    const second = Running.start(ours0.name, process.execPath, [FASTD_TS, '--config', again('ts-again', UNDERLAY_ADDRESSES[0]), '--workers', '2']);
    running.push(second);
    const fastdSecond = Running.start(side1.name, DEBIAN_FASTD, ['--config', again('fastd-again', UNDERLAY_ADDRESSES[1])]);
    running.push(fastdSecond);
    expect(await fastdSecond.exited).not.toBe(0);
    expect(fastdSecond.log).toMatch(/Address already in use/);
    expect(await second.exited).toBe(1);
    expect(second.log).toMatch(/Address already in use/);
    expect(first.child.exitCode).toBeNull();
    await first.stop();
  }, 90_000);

  it('SIGUSR2 resets the connection, which comes back; SIGTERM runs on down and on post-down and removes the status socket', async () => {
    const { work, status, args } = await setUp('usr2');
    const daemon = Running.start(namespaces!.sides[0].name, process.execPath, args);
    running.push(daemon);
    await establishedWithin(status, daemon);
    expect(readFileSync(join(work, 'pid'), 'utf8')).toMatch(/^\d+$/);
    const mark = daemon.log.length;
    daemon.child.kill('SIGUSR2');
    await daemon.waitForLog(/triggered reset of all connections[\s\S]*disestablished[\s\S]*established/, mark);
    // SIGUSR1 is ignored (Node would otherwise start its debugger).
    daemon.child.kill('SIGUSR1');
    await sleep(300);
    expect(daemon.child.exitCode).toBeNull();

    daemon.child.kill('SIGTERM');
    expect(await daemon.exited).toBe(0);
    expect(readFileSync(join(work, 'down'), 'utf8')).toBe('down ours-usr2\n');
    // on post-down is not sync: fastd (and we) exit without waiting for it
    const postDown = join(work, 'post-down');
    expect(await until('on post-down', DEADLINE_MS, () => (existsSync(postDown) && readFileSync(postDown, 'utf8')) || undefined)).toBe('post-down\n');
    expect(existsSync(status)).toBe(false);
    expect(daemon.log).toMatch(/terminating fastd/);
  }, 90_000);

  it('the interface goes with the process on exit, as fastd\'s does (`persist interface` defaults to yes, which is about per-peer interfaces, not the kernel\'s persist flag)', async () => {
    const { status, args, fastd } = await setUp('gone');
    const daemon = Running.start(namespaces!.sides[0].name, process.execPath, args);
    running.push(daemon);
    await establishedWithin(status, daemon);
    const exists = (side: 0 | 1, name: string) => spawnSync('ip', ['-n', namespaces!.sides[side].name, 'link', 'show', name]).status === 0;
    expect(exists(0, 'ours-gone') && exists(1, 'fastd-gone')).toBe(true);
    await daemon.stop();
    await fastd.stop();
    expect(exists(1, 'fastd-gone')).toBe(false);
    expect(exists(0, 'ours-gone')).toBe(false);
  }, 90_000);

  it('--daemon returns once the daemon runs, and the daemon keeps serving', async () => {
    const { work, status, args } = await setUp('daemon');
    const starter = Running.start(namespaces!.sides[0].name, process.execPath, [...args, '--daemon']);
    expect(await starter.exited).toBe(0);
    const pid = Number(readFileSync(join(work, 'pid'), 'utf8'));
    expect(pid).toBeGreaterThan(0);
    try {
      await establishedWithin(status);
    } finally {
      process.kill(pid, 'SIGTERM');
      await until('the daemon to exit', DEADLINE_MS, () => (existsSync(status) ? undefined : true));
    }
  }, 90_000);

  /** The effective capabilities of a process's main thread (or of one of its threads), from /proc. */
  function effectiveCapabilities(pid: number, tid?: string): bigint {
    const path = tid === undefined ? `/proc/${pid}/status` : `/proc/${pid}/task/${tid}/status`;
    const line = readFileSync(path, 'utf8').split('\n').find((entry) => entry.startsWith('CapEff:'))!;
    return BigInt(`0x${line.split(/\s+/)[1]}`);
  }

  it('drops capabilities as fastd does: none left once every interface exists, CAP_NET_ADMIN kept while peers still need interfaces', async () => {
    await Promise.all(running.splice(0).map((process) => process.stop()));
    namespaces ??= NamespacePair.create();
    for (const mode of ['tap', 'multitap; persist interface yes', 'multitap; persist interface no'] as const) {
      const capabilities: bigint[] = [];
      for (const [index, program] of [DEBIAN_FASTD, FASTD_TS].entries()) {
        const config = join(dir, `caps-${mode}-${index}.conf`);
        writeFileSync(
          config,
          `log level verbose; mode ${mode}; method "null"; bind ${UNDERLAY_ADDRESSES[0]}:${PORT + 1};\n` +
            `secret "${ours.secret}"; peer "p" { key "${theirs.public}"; }\n`,
        );
        const args = program === DEBIAN_FASTD ? ['--config', config] : [FASTD_TS, '--config', config];
        const daemon = Running.start(namespaces.sides[0].name, program === DEBIAN_FASTD ? DEBIAN_FASTD : process.execPath, args);
        running.push(daemon);
        await daemon.waitForLog(/dropped capabilities/);
        capabilities.push(effectiveCapabilities(daemon.child.pid!));
        await daemon.stop();
      }
      const netAdmin = 1n << 12n;
      expect(capabilities[1], `fastd-ts in ${mode} mode`).toBe(capabilities[0]);
      expect(capabilities[0]).toBe(mode.endsWith('persist interface no') ? netAdmin : 0n);
    }
  }, 90_000);

  it('leaves every datapath worker thread without capabilities, even with drop capabilities no', async () => {
    await Promise.all(running.splice(0).map((process) => process.stop()));
    namespaces ??= NamespacePair.create();
    const config = join(dir, 'caps-worker.conf');
    writeFileSync(
      config,
      `log level verbose; mode tap; drop capabilities no; workers 2; method "null"; bind ${UNDERLAY_ADDRESSES[0]}:${PORT + 2};\n` +
        `secret "${ours.secret}"; peer "p" { key "${theirs.public}"; }\n`,
    );
    const daemon = Running.start(namespaces.sides[0].name, process.execPath, [FASTD_TS, '--config', config]);
    running.push(daemon);
    await daemon.waitForLog(/datapath I\/O backend/);
    const pid = daemon.child.pid!;
    const mainThread = effectiveCapabilities(pid);
    const threads = readdirSync(`/proc/${pid}/task`).map((tid) => effectiveCapabilities(pid, tid));
    await daemon.stop();
    // Every thread but the workers keeps root's capabilities here; each worker dropped its own.
    expect(mainThread).not.toBe(0n);
    expect(threads.filter((capabilities) => capabilities === 0n)).toHaveLength(2);
  }, 60_000);

  it('accepts an unknown peer that `on verify` approves, with the key in its environment', async () => {
    await Promise.all(running.splice(0).map((process) => process.stop()));
    namespaces ??= NamespacePair.create();
    const work = join(dir, 'verify');
    mkdirSync(work, { recursive: true });
    const status = join(work, 'status.sock');
    const oursConfig = join(work, 'ours.conf');
    writeFileSync(
      oursConfig,
      `log level verbose; mode tap; interface "ours-verify"; method "null"; bind ${UNDERLAY_ADDRESSES[0]}:${PORT};\n` +
        `secret "${ours.secret}"; status socket "${status}";\n` +
        `on verify "test \\"$PEER_KEY\\" = ${theirs.public} && echo \\"$PEER_ADDRESS $PEER_PORT\\" > ${join(work, 'verified')}";\n`,
    );
    const fastdConfig = join(work, 'fastd.conf');
    writeFileSync(
      fastdConfig,
      `mode tap; interface "fastd-verify"; method "null"; bind ${UNDERLAY_ADDRESSES[1]}:${PORT}; secret "${theirs.secret}";\n` +
        `peer "ours" { key "${ours.public}"; remote ${UNDERLAY_ADDRESSES[0]}:${PORT}; }\n`,
    );
    const daemon = Running.start(namespaces.sides[0].name, process.execPath, [FASTD_TS, '--config', oursConfig]);
    running.push(daemon);
    await until('our status socket', DEADLINE_MS, () => (existsSync(status) ? true : undefined));
    running.push(Running.start(namespaces.sides[1].name, DEBIAN_FASTD, ['--config', fastdConfig]));
    onTestFailed(() => {
      for (const process of running) globalThis.process.stderr.write(`----- log\n${process.log}\n`);
    });
    await establishedWithin(status, daemon);
    const document = (await fetchStatus(status)) as { peers: Record<string, { name: unknown }> };
    expect(document.peers[theirs.public]?.name).toBeNull();
    expect(readFileSync(join(work, 'verified'), 'utf8')).toBe(`${UNDERLAY_ADDRESSES[1]} ${PORT}\n`);
  }, 90_000);
});
