// One tunnel daemon in a namespace: Debian's fastd or our bin/fastd-ts, started from a
// generated configuration, its stdout and stderr going to a log file that survives it.
// The same configuration text is given to both programs, since fastd-ts is a drop-in.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
import { DEBIAN_FASTD } from '../../helpers/prereq.js';
import { cleanUpEverything, trackPid, untrackPid } from '../../../src/testbed/cleanup.js';
import { type Namespace, NamespacePair } from '../../../src/testbed/namespaces.js';
import { until } from '../../helpers/wait.js';

export type DaemonKind = 'fastd' | 'fastd-ts';
export type TunnelMode = 'tap' | 'tun' | 'multitap';

const FASTD_TS = fileURLToPath(new URL('../../../bin/fastd-ts', import.meta.url));
const FASTD_TS_BUILD = fileURLToPath(new URL('../../../dist/cli/main.js', import.meta.url));
/** Grace period between SIGTERM and SIGKILL when stopping politely. */
const STOP_GRACE_MS = 5_000;
const INTERFACE_DEADLINE_MS = 20_000;

/** True when bin/fastd-ts has a build to run (npm run build). */
export const haveFastdTsBuild = existsSync(FASTD_TS_BUILD);

function commandFor(kind: DaemonKind): { command: string; prefix: string[] } {
  return kind === 'fastd' ? { command: DEBIAN_FASTD, prefix: [] } : { command: process.execPath, prefix: [FASTD_TS] };
}

/** Runs a key command of the given program: fastd and fastd-ts print the same. */
function keyCommand(kind: DaemonKind, args: string[], input?: string): string {
  const { command, prefix } = commandFor(kind);
  return execFileSync(command, [...prefix, ...args], { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] }).trim();
}

export interface KeyPair {
  readonly secret: string;
  readonly public: string;
}

/** A fresh key pair from the program itself (`--generate-key`, then `--show-key`). */
export function generateKeyPair(kind: DaemonKind): KeyPair {
  const secret = keyCommand(kind, ['--generate-key', '--machine-readable']);
  const shown = keyCommand(kind, ['--machine-readable', '--show-key', '--config', '-'], `secret "${secret}";\n`);
  return { secret, public: shown };
}

export interface PeerSpec {
  readonly name: string;
  readonly key: string;
  /** "address:port" to initiate to, or none to wait for the other side. */
  readonly remote?: string;
}

export interface DaemonSpec {
  readonly kind: DaemonKind;
  readonly mode: TunnelMode;
  readonly methods: readonly string[];
  readonly mtu: number;
  readonly interfaceName: string;
  /** "address:port". */
  readonly bind: string;
  readonly keys: KeyPair;
  /** The other side; undefined when it is not configured (it comes in through `on verify`). */
  readonly peer: PeerSpec | undefined;
  readonly statusSocket: string;
  /** Extra top-level statements, each without the trailing semicolon. */
  readonly extraStatements?: readonly string[];
  /** Extra environment (e.g. fastd-ts test switches). */
  readonly env?: Readonly<Record<string, string>>;
  /** Extra command-line arguments after `--config`. */
  readonly args?: readonly string[];
}

/**
 * A TAP daemon with one configured peer that never answers: for checks of the process itself
 * (start-up, notification, the files it creates). `more` overrides or adds to the spec.
 */
export function loneDaemonSpec(kind: DaemonKind, label: string, bind: string, statusSocket: string, more: Partial<DaemonSpec> = {}): DaemonSpec {
  return {
    kind,
    mode: 'tap',
    methods: ['null'],
    mtu: 1406,
    interfaceName: label,
    bind,
    keys: generateKeyPair('fastd-ts'),
    peer: { name: 'p', key: generateKeyPair('fastd-ts').public },
    statusSocket,
    ...more,
  };
}

export function configText(spec: DaemonSpec): string {
  const peer = spec.peer;
  const peerLines = peer ? [`  key "${peer.key}";`] : [];
  if (peer?.remote) peerLines.push(`  remote ${peer.remote};`);
  return [
    'log level debug',
    `mode ${spec.mode}`,
    `interface "${spec.interfaceName}"`,
    ...spec.methods.map((method) => `method "${method}"`),
    `mtu ${spec.mtu}`,
    `bind ${spec.bind}`,
    `secret "${spec.keys.secret}"`,
    `status socket "${spec.statusSocket}"`,
    ...(spec.extraStatements ?? []),
  ]
    .map((statement) => `${statement};\n`)
    .concat(peer ? `peer "${peer.name}" {\n${peerLines.join('\n')}\n}\n` : '')
    .join('');
}

/** A daemon process; `start` may be called again after `kill` or `stop` (a restart). */
export class Daemon {
  readonly configPath: string;
  readonly logPath: string;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private starts = 0;

  constructor(
    readonly namespace: Namespace,
    readonly spec: DaemonSpec,
    readonly dir: string,
    readonly label: string,
  ) {
    this.configPath = join(dir, `${label}.conf`);
    this.logPath = join(dir, `${label}.log`);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts the program; the log file gets a marker line per start, so restarts are visible. */
  start(): void {
    if (this.running) throw new Error(`${this.label} is already running`);
    this.starts += 1;
    writeFileSync(this.configPath, configText(this.spec));
    writeFileSync(this.logPath, `--- start ${this.starts} of ${this.label} (${this.spec.kind}) at ${new Date().toISOString()}\n`, { flag: 'a' });
    const log = openSync(this.logPath, 'a');
    const { command, prefix } = commandFor(this.spec.kind);
    try {
      const child = spawn('ip', ['netns', 'exec', this.namespace.name, command, ...prefix, '--config', this.configPath, ...(this.spec.args ?? [])], {
        stdio: ['ignore', log, log],
        env: { ...process.env, ...this.spec.env },
      });
      this.child = child;
      if (child.pid !== undefined) trackPid(child.pid);
      this.exited = new Promise((resolve) => {
        child.once('exit', () => {
          if (child.pid !== undefined) untrackPid(child.pid);
          resolve();
        });
        child.once('error', () => resolve());
      });
    } finally {
      closeSync(log);
    }
  }

  /**
   * `kill -9`: no down hooks, no goodbye. The kernel removes its TUN/TAP interface, a moment
   * after the process is gone: waits for that too, so that a restart cannot mistake the old
   * interface for its new one.
   */
  async kill(): Promise<void> {
    if (this.running) this.child!.kill('SIGKILL');
    await this.exited;
    await until(`${this.label}'s interface ${this.spec.interfaceName} to go`, INTERFACE_DEADLINE_MS, () =>
      this.namespace.hasLink(this.spec.interfaceName) ? undefined : true,
    );
  }

  /** SIGTERM, escalated to SIGKILL if the daemon does not exit in time. */
  async stop(): Promise<void> {
    if (!this.running) return this.exited;
    const child = this.child!;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await this.exited;
    clearTimeout(timer);
  }

  log(): string {
    return existsSync(this.logPath) ? readFileSync(this.logPath, 'utf8') : '';
  }

  /** Fails early (with the log) when the daemon has died instead of waiting out a deadline. */
  private assertAlive(): void {
    if (!this.running) {
      const status = this.child?.exitCode ?? this.child?.signalCode;
      throw new Error(`${this.label} (${this.spec.kind}) exited (${status}); log:\n${this.log()}`);
    }
  }

  async waitForLog(pattern: RegExp, deadlineMs = 30_000): Promise<RegExpMatchArray> {
    return until(`${this.label} to log ${pattern}`, deadlineMs, () => {
      const match = this.log().match(pattern);
      if (match) return match;
      this.assertAlive();
      return undefined;
    });
  }

  async waitForInterface(): Promise<void> {
    await until(`${this.label}'s interface ${this.spec.interfaceName}`, INTERFACE_DEADLINE_MS, () => {
      if (this.namespace.hasLink(this.spec.interfaceName)) return true;
      this.assertAlive();
      return undefined;
    });
  }
}

/**
 * The daemons of one describe block: a namespace pair made on first use and a directory for
 * their files, both removed after the block once every daemon added here has stopped.
 */
export class DaemonGroup {
  readonly dir: string;
  readonly daemons: Daemon[] = [];
  private pair: NamespacePair | undefined;

  constructor(prefix: string) {
    this.dir = mkdtempSync(join(tmpdir(), prefix));
    afterAll(async () => {
      await Promise.all(this.daemons.map((daemon) => daemon.stop()));
      this.pair?.delete();
      cleanUpEverything();
      rmSync(this.dir, { recursive: true, force: true });
    });
  }

  get namespaces(): NamespacePair {
    return (this.pair ??= NamespacePair.create());
  }
}
