// `fastd-ts` running as a daemon: start-up and shutdown in fastd's order (src/fastd.c),
// signals, and the timer that drives the per-peer tasks. The main thread only does control
// work; every data packet stays in the datapath workers (workers.ts spreads peers over them).
import { existsSync, writeFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { performance } from 'node:perf_hooks';
import type { DevelopmentSwitches } from '../../cli/development-switches.js';
import type { CommandLine } from '../../cli/options.js';
import { FASTD_COMPAT_VERSION, VERSION_TEXT } from '../../cli/version.js';
import type { Config } from '../../config/types.js';
import { derivePublicKey, keyToHex, parseKeyHex } from '../../crypto/ec25519/keys.js';
import { createMethodProvider } from '../../crypto/methods/registry.js';
import { EXIT_FAILURE, log } from '../../log/logger.js';
import { Handshake, type HandshakeMethod } from '../../protocol/handshake.js';
import { StatusSocket } from '../../status/status-socket.js';
import type { MetricsServer } from '../../status/metrics-server.js';
import { writeStatus } from '../../status/status-writer.js';
import { ControlPlane } from '../control/control-plane.js';
import { createHandoffPlaces, windowBytes } from '../workers/handoff-places.js';
import { GLOBAL_STATS_FIELDS, GlobalStat, type FromWorker, type PipelineWarmUp, type WorkerPlace } from '../datapath/messages.js';
import { becomeDaemon, isDaemonChild, reportReady } from './daemonize.js';
import { HandshakeDriver } from '../control/handshake-driver.js';
import { MAX_AGE, PeerStateWriter, readPeerState } from '../control/peer-state-file.js';
import { RestartGreeting } from '../control/restart-greeting.js';
import { interfaceEnvironment, runHook, runHookBlocking } from '../control/hooks.js';
import { closeInterface, interfaceName, interfaceSpec, openInterface, peerMtu, usesSingleInterface, type OpenInterface } from '../net/interfaces.js';
import { addStaticPeers, loadPeerDirs, readPeerDirs, reloadPeers } from '../control/peer-reload.js';
import { ControlSender } from '../net/control-sender.js';
import { readHandshakeRecords } from '../datapath/handshake-records.js';
import { boundToText, closeSockets, socketSpec, type BoundSocket } from '../net/sockets.js';
import type { EarlySockets } from '../net/early-sockets.js';
import type { DaemonSignal, HeldSignals } from '../../cli/held-signals.js';
import { compactHeap } from '../heap-compaction.js';
import { keepMallocTrimmed, mallocTrimAsync } from '../../io/libc.js';
import { anonymousResidentBytes, MemoryReleaser, type Traffic } from './memory-release.js';
import { statusSource } from './status-source.js';
import { notifySystemd } from './systemd-notify.js';
import { configuredAccount, createAs, readAsDropped, setGroups, switchUser, type Account } from './privileges.js';
import { keepCapabilities, neededCapabilities, retainOnly } from './capabilities.js';
import { Workers } from '../workers/workers.js';

/** How long shutdown waits for the datapath workers to finish. */
const WORKER_STOP_GRACE = 3_000;

/** A start-up failure fastd would also refuse to run with; its message is the log line. */
class StartupError extends Error {
  override name = 'StartupError';
}

/** Read once, from node:perf_hooks (the global is a lazy accessor): performance.timeOrigin is a getter that cost ~4 % of the main thread in a spoofed-init flood, where every handshake asks the clock. */
const TIME_ORIGIN = performance.timeOrigin;
const clock = (): number => TIME_ORIGIN + performance.now();

/** A handshake whose handling threw: logged, and the next one is handled as usual. */
const handshakeFailed = (error: Error): void => log.error(`handling a handshake failed: ${error.message}`);

/** `offload l2tp yes` needs the kernel's L2TP ethernet pseudowires. */
function checkL2tpOffload(config: Config): void {
  if (!config.offloadL2tp) return;
  if (!existsSync('/sys/module/l2tp_eth') && !existsSync('/sys/module/l2tp_core'))
    throw new StartupError('unable to initialize L2TP offload: this kernel has no L2TP support (CONFIG_L2TP)');
  throw new StartupError('L2TP offload is not supported by fastd-ts; remove `offload l2tp yes` to use null@l2tp in userspace');
}

function handshakeMethods(config: Config): Map<string, HandshakeMethod> {
  const methods = new Map<string, HandshakeMethod>();
  for (const name of config.methods) {
    const provider = createMethodProvider(name);
    if (!provider) throw new StartupError(`method \`${name}' not supported`);
    methods.set(name, { name, keyLength: provider.keyLength });
  }
  return methods;
}

/** fastd's min_overhead: no method's packet is shorter than this. */
function minimumOverhead(config: Config): number {
  return Math.min(...config.methods.map((name) => createMethodProvider(name)!.overhead));
}

/** fastd's write_pid: with the user's groups, as the user (see createAs). */
function writePidFile(config: Config, account: Account | undefined): void {
  if (account) setGroups(account);
  const path = config.pidFile;
  if (path === undefined) return;
  try {
    createAs(account, () => writeFileSync(path, String(process.pid)));
  } catch (error) {
    log.error(`can't write PID file: ${(error as Error).message}`);
  }
}

/** fastd's set_user, as a start-up failure when it fails. */
function changeUser(account: Account | undefined): void {
  try {
    switchUser(account);
  } catch (error) {
    throw new StartupError((error as Error).message);
  }
}

/** fastd's drop_caps: the user changes, then only the capabilities still needed remain. */
function dropPrivileges(config: Config, account: Account | undefined): void {
  changeUser(account);
  try {
    retainOnly(neededCapabilities(config));
  } catch (error) {
    throw new StartupError((error as Error).message);
  }
}

class Daemon {
  private readonly startedAt = clock();
  /** The control plane's sockets: each configured bind's first copy. */
  private sockets: BoundSocket[] = [];
  /** Every worker's copy of every configured bind (see openSockets). */
  private allSockets: BoundSocket[] = [];
  private tap: OpenInterface | undefined;
  private status: StatusSocket | undefined;
  private metrics: MetricsServer | undefined;
  private workers: Workers | undefined;
  /** The backend the first worker reported when ready (what the status socket shows). */
  private ioBackend: 'io_uring' | 'fallback' | undefined;
  private control: ControlPlane | undefined;
  private driver: HandshakeDriver | undefined;
  private stateWriter: PeerStateWriter | undefined;
  private greeting: RestartGreeting | undefined;
  /**
   * What a worker reported before the control plane existed: a worker that is ready
   * receives at once, while the others may still be setting up (a peer's first handshake
   * can arrive then, and its retry would come much later). Replayed once it exists.
   */
  private early: { message: FromWorker; worker: number }[] | null = [];
  private timer: NodeJS.Timeout | undefined;
  /** When `timer` fires, epoch ms. */
  private timerDue = 0;
  /** After a burst: every thread's V8 heap that grew compacted (the workers' on their next wake-up), then malloc trimmed. */
  private readonly releaser = new MemoryReleaser((done) => {
    const before = anonymousResidentBytes();
    const compacted = compactHeap();
    this.workers?.post({ type: 'compactHeap' });
    mallocTrimAsync(() => {
      const mib = (bytes: number) => (bytes / 1048576).toFixed(1);
      log.verbose(`after a burst: anonymous RSS ${mib(before)} MiB, ${mib(anonymousResidentBytes())} MiB with malloc trimmed${compacted ? " and the main thread's heap compacted" : ''} (the workers compact theirs next if they grew)`);
      done();
    });
  }, () => this.traffic());
  private wakeUp: NodeJS.Immediate | undefined;
  private stopping = false;
  /** The workers' global statistics, summed for each status request. */
  private readonly globalStats = new Float64Array(GLOBAL_STATS_FIELDS);

  constructor(
    private readonly config: Config,
    private readonly options: DaemonOptions,
  ) {}

  async start(): Promise<void> {
    const { config } = this;
    keepMallocTrimmed();
    checkL2tpOffload(config);
    const secret = config.secret === undefined ? undefined : parseKeyHex(config.secret);
    if (!secret) throw new StartupError('no valid secret key configured');
    const methods = handshakeMethods(config);
    let account: Account | undefined;
    try {
      account = configuredAccount(config);
    } catch (error) {
      throw new StartupError((error as Error).message);
    }
    process.chdir('/');
    log.info(`${VERSION_TEXT} starting`);
    keepCapabilities();
    const count = this.options.sockets.workers;
    log.info(`datapath workers: ${count}`);
    const worker = this.spawnWorkers(count);

    const bound = this.options.sockets.result;
    if ('error' in bound) throw bound.error;
    this.allSockets = bound.sockets;
    this.sockets = this.allSockets.slice(0, this.allSockets.length / count);
    for (const socket of this.sockets) log.info(boundToText(socket));
    // created once it can answer (below); a daemon still using it stops us here, as in fastd
    if (config.statusSocket !== undefined) await StatusSocket.ensureFree(config.statusSocket);
    if (config.onPreUp) runHookBlocking(config.onPreUp, {});
    const single = usesSingleInterface(config, config.peers.length);
    // From here the main thread's young generation keeps the size module loading gave it
    // (8 MiB): reading 50,000 peers grew it to V8's most, 32 MiB, resident for good. V8 reads
    // the factor whenever it would grow; Node sets the flags anew as a worker starts, so this
    // comes after the workers were spawned (their own young generation: worker-handle.ts).
    setFlagsFromString('--semi-space-growth-factor=1');
    // The peer directories are read now, while the workers load and warm up on their threads
    // (~1 s in which the main thread would idle), with the rights fastd reads them with after
    // dropping its privileges; loadPeerDirs reads again a directory where files came or went since.
    const peerDirs = readAsDropped(config, account, () => readPeerDirs(config));
    // The interface comes up only once the worker can serve it at once: the first handshake
    // then leaves as early as fastd's, before the kernel's first ARP request on the new
    // interface has gone unanswered (its retry comes only a second later).
    await worker.loaded;
    if (config.mode === 'tap') this.tap = openInterface(config, interfaceName(config, undefined, true), config.mtu, count, this.options.switches.tunOffloads);
    this.initWorkers(account);
    writePidFile(config, account);
    notifySystemd(this.options.notifySocket, process.pid);
    if (isDaemonChild()) reportReady();
    // Our key pair while the workers set up their datapaths (~0.1 s in which the main thread
    // would idle): loading libsodium and two derivations of the public key take about as long.
    const localKey = keyToHex(derivePublicKey(secret));
    const handshake = new Handshake({
      secretKey: secret,
      mode: config.mode,
      versionName: FASTD_COMPAT_VERSION,
      // Test-only: speak like pre-v22 fastd, to prove that old peers are still served.
      preV22: this.options.switches.preV22,
    });
    // a worker becomes the user itself while it sets up; the change of the other threads waits for it
    await worker.ready;
    if (config.dropCapabilities === 'early' || config.dropCapabilities === 'force') dropPrivileges(config, account);
    const onUp = config.peerGroup.hooks.onUp;
    if (this.tap && onUp) runHookBlocking(onUp, interfaceEnvironment({ name: this.tap.device.name, mtu: this.tap.mtu }));

    const sender = new ControlSender();
    this.control = new ControlPlane(
      {
        config,
        handshake,
        sockets: this.sockets,
        post: (message) => this.workers?.post(message),
        send: (fd, location, packet) => sender.send(fd, location.endpoint, location.local, packet),
        peerStats: this.workers!.peerStats,
        localKey,
        singleInterface: this.tap,
        openPeerInterface: (peer) => openInterface(config, interfaceName(config, peer, single), peerMtu(config, peer), 1, this.options.switches.tunOffloads),
        // The worker works on its own duplicate of the fd; ours can go at once.
        closePeerInterface: closeInterface,
        runHook,
        methods,
        clock,
        peersChanged: () => {
          this.stateWriter?.changed();
          this.metrics?.peersChanged();
        },
      },
    );
    this.driver = new HandshakeDriver(this.control);
    const now = clock();
    addStaticPeers(this.control, now);
    if (config.dropCapabilities === 'yes') dropPrivileges(config, account);
    else if (config.dropCapabilities === 'no') changeUser(account);
    loadPeerDirs(this.control, now, peerDirs);
    const control = this.control;
    const workers = this.workers!;
    const source = () => statusSource({ control, startedAt: this.startedAt, globalStats: workers.sumGlobalStats(this.globalStats), ioBackend: this.ioBackend, workers });
    if (config.statusSocket !== undefined) this.status = await StatusSocket.open(config.statusSocket, () => writeStatus(source()), (create) => createAs(account, create));
    if (config.metricsListen !== undefined) {
      try {
        // prom-client, node:http and the metrics writer load only here: ~0.1 s of CPU at start, and memory, that a daemon without metrics never needs
        const [{ DaemonMetrics, instanceName }, { MetricsServer }] = await Promise.all([import('../../status/metrics.js'), import('../../status/metrics-server.js')]);
        this.metrics = await MetricsServer.open(config.metricsListen, new DaemonMetrics(instanceName(this.options.configFile, config.interface)), source);
      } catch (error) {
        throw new StartupError((error as Error).message);
      }
    }
    const early = this.early ?? [];
    this.early = null;
    for (const { message, worker } of early) this.onWorkerMessage(message, worker);
    this.options.signals.handle((signal) => this.onSignal(signal));
    if (config.peerStateFile !== undefined) this.rememberPeers(config.peerStateFile, this.control);
    this.schedule(clock());
    this.releaser.start();
  }

  /** Handshakes the peers the state file remembers, then keeps the file up to date. */
  private rememberPeers(path: string, control: ControlPlane): void {
    const remembered = readPeerState(path, clock());
    // those not back yet stay in the file for as long as the file itself would be believed
    const rememberUntil = clock() + MAX_AGE;
    this.stateWriter = new PeerStateWriter(path, () => control.rememberedPeers(clock() < rememberUntil ? remembered : []), clock);
    if (remembered.length > 0) log.verbose(`handshaking ${remembered.length} peers where they were before the restart`);
    this.greeting = new RestartGreeting(control, remembered);
    this.greeting.start();
  }

  /**
   * Starts the worker threads: `loaded` once all their modules are (~0.1 s), `ready` once
   * all have their datapath (after `initWorkers`).
   */
  private spawnWorkers(count: number): { loaded: Promise<void>; ready: Promise<void> } {
    const { config } = this;
    const { switches } = this.options;
    const warmUp: PipelineWarmUp = {
      method: config.methods[0]!,
      ioBackend: config.ioBackend,
      several: count > 1,
      mtu: Math.max(config.mtu, ...config.peers.map((peer) => peer.mtu ?? config.mtu)),
      ...(switches.udpOffloads ? {} : { gso: false, gro: false }),
      ...(switches.uringWait ? {} : { eventRing: false }),
    };
    const workers = Workers.spawn(count, switches.misplacePeers, warmUp);
    this.workers = workers;
    let loadedCount = 0;
    let readyCount = 0;
    let fallbackReason: string | null = null;
    let onLoaded = (): void => undefined;
    let onFailed = (_error: StartupError): void => undefined;
    const loaded = new Promise<void>((resolve, reject) => {
      onLoaded = resolve;
      onFailed = reject;
    });
    const ready = new Promise<void>((resolve, reject) => {
      workers.onMessage((message, index) => {
        if (message.type === 'loaded') {
          if (++loadedCount === count) onLoaded();
        } else if (message.type === 'ready') {
          // all workers make the same choice on one kernel: the first one's report stands for all
          if (index === 0) this.ioBackend = message.backend;
          if (index === 0 && message.fallbackReason !== null) fallbackReason = message.fallbackReason;
          if (index === 0 && message.fixedRefusal !== null) log.warn(`io_uring fixed buffers refused, using plain TUN/TAP writes: ${message.fixedRefusal}`);
          if (++readyCount < count) return;
          if (fallbackReason === null) log.info(`datapath I/O backend: ${this.ioBackend}`);
          else log.warn(`datapath I/O backend: ${this.ioBackend} (io_uring unavailable: ${fallbackReason})`);
          resolve();
        }
        else if (message.type === 'fatal') {
          const error = new StartupError(`datapath worker failed: ${message.message}`);
          onFailed(error);
          reject(error);
        }
        else this.onWorkerMessage(message, index);
      });
      workers.onExit((code) => {
        const error = new StartupError(`datapath worker exited with code ${code}`);
        onFailed(error);
        reject(error);
        // Before the control plane runs, a failed start reports and cleans up instead.
        if (!this.stopping && this.control) {
          log.fatal(`datapath worker exited with code ${code}`);
          void this.shutdown(EXIT_FAILURE);
        }
      });
    });
    // A start that fails before awaiting these reports its own error, not theirs.
    loaded.catch(() => undefined);
    ready.catch(() => undefined);
    return { loaded, ready };
  }

  /**
   * Hands each worker its copy of the sockets and its TAP queue; with several workers also
   * its window of the one packet memory and the handoff rings between them.
   */
  private initWorkers(user: Account | undefined): void {
    const { config } = this;
    const { switches } = this.options;
    const workers = this.workers!;
    const peerMtus = config.peers.map((peer) => peer.mtu ?? config.mtu);
    const several = workers.count > 1;
    const ceiling = config.packetMemoryLimit;
    const places: (WorkerPlace | undefined)[] = several ? createHandoffPlaces(workers.handles.map((handle) => handle.wakeFd), ceiling) : [undefined];
    const perWorker = this.sockets.length;
    for (let index = 0; index < workers.count; index++) {
      const place = places[index];
      workers.postTo(index, {
        type: 'init',
        mode: config.mode,
        forward: config.forward,
        sockets: this.allSockets.slice(index * perWorker, (index + 1) * perWorker).map(socketSpec),
        interfaces: this.tap ? [interfaceSpec(this.tap, index)] : [],
        peerStats: workers.peerStatBuffers[index]!,
        globalStats: workers.globalStats[index]!,
        handshakeCredit: workers.handshakeCredits[index]!,
        memoryCeiling: several ? windowBytes(workers.count, ceiling) : ceiling,
        maxMtu: Math.max(config.mtu, ...peerMtus),
        minDataLength: minimumOverhead(config),
        ioBackend: config.ioBackend,
        ...(user ? { user } : {}),
        warmUp: config.methods,
        ...(switches.udpOffloads ? {} : { gso: false, gro: false }),
        ...(switches.uringWait ? {} : { eventRing: false }),
        ...(switches.gather ? {} : { gather: false }),
        ...(place ? { place } : {}),
      });
    }
  }

  private onWorkerMessage(message: FromWorker, worker: number): void {
    const control = this.control;
    const driver = this.driver;
    if (this.stopping) return;
    if (!control || !driver) {
      this.early?.push({ message, worker });
      return;
    }
    const now = clock();
    switch (message.type) {
      case 'handshakes':
        readHandshakeRecords(message.records, (endpoint, local, packet) => {
          this.workers?.noteHandshake(worker, message.socketId, endpoint);
          try {
            driver.receive(message.socketId, endpoint, packet, local)?.catch(handshakeFailed);
          } catch (error) {
            handshakeFailed(error as Error);
          }
        });
        break;
      case 'unknownData':
        driver.unknownData(message.socketId, message.endpoint, message.compat, message.local);
        break;
      case 'sessionConfirmed': {
        const peer = control.table.withId(message.peerId);
        if (peer) control.sessionConfirmed(peer, now);
        break;
      }
      case 'peerMoved': {
        const peer = control.table.withId(message.peerId);
        if (peer) control.peerMoved(peer, { socketId: message.socketId, endpoint: message.endpoint, local: message.local }, now);
        break;
      }
      case 'macAddresses':
        control.setMacAddresses(this.workers!.mergeMacAddresses(worker, message.peers));
        break;
      case 'fatal':
        log.fatal(`datapath worker failed: ${message.message}`);
        void this.shutdown(EXIT_FAILURE);
        break;
      case 'loaded':
      case 'ready':
        break;
    }
    // A handshake or a reset may have moved a peer's next deadline closer.
    this.wake();
  }

  /** Runs the per-peer tasks soon, once for any number of messages that arrive together. */
  private wake(): void {
    this.wakeUp ??= setImmediate(() => {
      this.wakeUp = undefined;
      this.schedule(clock());
    });
  }

  /**
   * Runs the per-peer tasks now and sets the timer for the next due one. A timer that fires no
   * later stays (it ticks and sets the next): setting it again for every handshake message was
   * ~3 % of the main thread in a spoofed-init flood.
   */
  private schedule(now: number): void {
    if (!this.control || this.stopping) return;
    const due = this.control.tick(now);
    if (this.timer !== undefined && this.timerDue <= due) return;
    clearTimeout(this.timer);
    const delay = Math.max(1, Math.ceil(due - clock()));
    this.timerDue = clock() + delay;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.schedule(clock());
    }, delay);
  }

  /** fastd's signal handling: SIGHUP reloads, SIGUSR2 resets every connection, the others stop. */
  private onSignal(signal: DaemonSignal): void {
    switch (signal) {
      case 'SIGHUP':
        log.info('reconfigure triggered');
        if (this.control) reloadPeers(this.control, clock());
        this.wake();
        return;
      case 'SIGUSR2':
        log.info('triggered reset of all connections');
        this.control?.resetAll(clock());
        this.wake();
        return;
      default:
        void this.shutdown(0);
    }
  }

  /** What the workers handled so far, for the releaser. */
  private traffic(): Traffic {
    const stats = this.workers?.sumGlobalStats(this.globalStats);
    if (!stats) return { bytes: 0, handshakes: 0 };
    return { bytes: stats[GlobalStat.RxBytes]! + stats[GlobalStat.TxBytes]!, handshakes: stats[GlobalStat.HandshakesReceived]! };
  }

  /** fastd's cleanup(): peers, worker, interface with `on down`, status socket, sockets, `on post-down`. */
  async shutdown(code: number): Promise<never> {
    if (!this.stopping) {
      this.stopping = true;
      log.info('terminating fastd');
      clearTimeout(this.timer);
      this.releaser.stop();
      this.greeting?.stop();
      // the peers as they were, before cleanup disestablishes them all
      this.stateWriter?.close();
      this.cleanup();
      // A worker that does not answer must not keep the daemon from going down.
      await Promise.race([this.workers?.stop(), new Promise((resolve) => setTimeout(resolve, WORKER_STOP_GRACE).unref())]);
      if (this.tap) closeInterface(this.tap);
      this.status?.close();
      this.metrics?.close();
      closeSockets(this.allSockets);
      // fastd waits for `on post-down` only when it is declared sync; it may outlive us.
      if (this.config.onPostDown) void runHook(this.config.onPostDown, {});
      process.exit(code);
    }
    return new Promise<never>(() => undefined);
  }

  /** Disestablishes every peer and runs the interface's `on down`; safe to call after a failed start. */
  cleanup(): void {
    this.control?.deleteAll();
    const onDown = this.config.peerGroup.hooks.onDown;
    if (this.tap && onDown) runHookBlocking(onDown, interfaceEnvironment({ name: this.tap.device.name, mtu: this.tap.mtu }));
  }

  /** After a failed start: undo what was set up, without the hooks of a running daemon. */
  abort(): void {
    void this.workers?.stop();
    if (this.tap) closeInterface(this.tap);
    this.status?.close();
    this.metrics?.close();
    closeSockets(this.allSockets);
  }
}

/** What the daemon takes from its surroundings besides the command line, read at the entry point. */
interface DaemonOptions {
  /** $NOTIFY_SOCKET: where systemd waits for the readiness notification. */
  readonly notifySocket: string | undefined;
  /** The benchmark and test switches from the environment. */
  readonly switches: DevelopmentSwitches;
  /** Signals since exec, held until the daemon runs. */
  readonly signals: HeldSignals;
  /** --config's file, which names the metrics' fastd_instance label (metrics.ts instanceName). */
  readonly configFile: string | undefined;
  /** The UDP sockets, bound before the daemon's modules were loaded. */
  readonly sockets: EarlySockets;
}

/** The `run` command: start the daemon; it ends the process itself on a signal or a fatal error. */
export async function runDaemon(commandLine: CommandLine, options: Omit<DaemonOptions, 'sockets' | 'configFile'> & { sockets: EarlySockets | undefined }): Promise<never> {
  const { config } = commandLine;
  // no sockets: the first process of --daemon (see bindEarly)
  const { sockets } = options;
  if (sockets === undefined) return becomeDaemon();
  const daemon = new Daemon(config, { ...options, sockets, configFile: commandLine.configFile });
  try {
    await daemon.start();
  } catch (error) {
    log.error(error instanceof Error ? error.message : String(error));
    daemon.abort();
    process.exit(EXIT_FAILURE);
  }
  return new Promise<never>(() => undefined);
}
