// The configuration while it is being read: mutable drafts that the statements of config
// files and command-line options change in order (later settings override earlier ones,
// as in fastd's global `conf`). finish.ts checks and freezes them into a Config.
import type { LogLevel } from '../log/levels.js';
import type { ListenAddress } from './addresses.js';
import type { ConfigWarning, SourceLocation } from './errors.js';
import { BYTES_PER_MIB, IO_BACKENDS, MAX_WORKERS, PACKET_MEMORY_LIMIT_MIB, type AddressFamily, type DropCapabilities, type GroupHookName, type IoBackend, type Mode, type Remote, type ShellCommand } from './types.js';

export interface GroupDraft {
  name: string;
  parent: GroupDraft | undefined;
  children: GroupDraft[];
  peerLimit: number | undefined;
  methods: string[];
  /** Where each method was first named, for the "not supported" error. */
  methodSources: Map<string, SourceLocation | undefined>;
  peerDirs: string[];
  hooks: Partial<Record<GroupHookName, ShellCommand>>;
}

export interface PeerDraft {
  name: string | undefined;
  /** The last `key` statement: fastd lets a later key replace an earlier one. */
  key: { text: string; source: SourceLocation | undefined } | undefined;
  remotes: Remote[];
  floating: boolean;
  mtu: number | undefined;
  interface: { name: string; source: SourceLocation | undefined } | undefined;
  sourceDir: string | undefined;
}

export interface StaticPeerDraft extends PeerDraft {
  key: { text: string; source: SourceLocation | undefined };
  group: GroupDraft;
  source: SourceLocation;
}

export interface BindDraft {
  family: AddressFamily | 'any';
  address: string;
  port: number | undefined;
  interface: string | undefined;
  defaultIpv4: boolean;
  defaultIpv6: boolean;
}

export interface ConfigDraft {
  secret: { text: string; source: SourceLocation | undefined } | undefined;
  mode: Mode;
  interface: { name: string; source: SourceLocation | undefined } | undefined;
  mtu: number;
  persistInterface: boolean;
  offloadL2tp: { enabled: boolean; source: SourceLocation | undefined };
  forward: boolean;
  ioBackend: IoBackend;
  workers: number | undefined;
  /** Bytes. */
  packetMemoryLimit: number;
  packetMark: number;
  binds: BindDraft[];
  stderrLevel: LogLevel | undefined;
  syslogLevel: LogLevel | undefined;
  syslogIdent: string;
  hideIpAddresses: boolean;
  hideMacAddresses: boolean;
  user: { name: string; source: SourceLocation | undefined } | undefined;
  group: { name: string; source: SourceLocation | undefined } | undefined;
  dropCapabilities: DropCapabilities;
  statusSocket: string | undefined;
  /** --peer-state-file: undefined for the default, "" for none. */
  peerStateFile: string | undefined;
  metricsListen: ListenAddress | undefined;
  pidFile: string | undefined;
  daemon: boolean;
  onPreUp: ShellCommand | undefined;
  onPostDown: ShellCommand | undefined;
  onVerify: ShellCommand | undefined;
  onVerifyGroup: GroupDraft | undefined;
  cipherImplementations: Map<string, string>;
  macImplementations: Map<string, string>;
  root: GroupDraft;
  peers: StaticPeerDraft[];
  warnings: ConfigWarning[];
}

/** fastd's default log level (LL_DEFAULT is LL_VERBOSE, whatever --help says). */
export const DEFAULT_LOG_LEVEL: LogLevel = 'verbose';
/** fastd's default MTU, when the configuration (or the control plane, to a worker) names none. */
export const DEFAULT_MTU = 1500;

export function newGroupDraft(name: string, parent: GroupDraft | undefined): GroupDraft {
  const group: GroupDraft = {
    name,
    parent,
    children: [],
    peerLimit: undefined,
    methods: [],
    methodSources: new Map(),
    peerDirs: [],
    hooks: {},
  };
  parent?.children.push(group);
  return group;
}

export function newPeerDraft(name: string | undefined, sourceDir?: string): PeerDraft {
  return { name, key: undefined, remotes: [], floating: false, mtu: undefined, interface: undefined, sourceDir };
}

export function isValidWorkerCount(count: bigint | number): boolean {
  return count >= 1 && count <= MAX_WORKERS;
}

export function isValidPacketMemoryLimit(mib: bigint | number): boolean {
  return mib >= PACKET_MEMORY_LIMIT_MIB.MIN && mib <= PACKET_MEMORY_LIMIT_MIB.MAX;
}

export function isIoBackend(name: string): name is IoBackend {
  return (IO_BACKENDS as readonly string[]).includes(name);
}

/** fastd's default_config(). */
export function newConfigDraft(): ConfigDraft {
  return {
    secret: undefined,
    mode: 'tap',
    interface: undefined,
    mtu: DEFAULT_MTU,
    persistInterface: true,
    offloadL2tp: { enabled: false, source: undefined },
    forward: false,
    ioBackend: 'io_uring',
    workers: undefined,
    packetMemoryLimit: PACKET_MEMORY_LIMIT_MIB.DEFAULT * BYTES_PER_MIB,
    packetMark: 0,
    binds: [],
    stderrLevel: undefined,
    syslogLevel: undefined,
    syslogIdent: 'fastd',
    hideIpAddresses: false,
    hideMacAddresses: false,
    user: undefined,
    group: undefined,
    dropCapabilities: 'yes',
    statusSocket: undefined,
    peerStateFile: undefined,
    metricsListen: undefined,
    pidFile: undefined,
    daemon: false,
    onPreUp: undefined,
    onPostDown: undefined,
    onVerify: undefined,
    onVerifyGroup: undefined,
    cipherImplementations: new Map(),
    macImplementations: new Map(),
    root: newGroupDraft('default', undefined),
    peers: [],
    warnings: [],
  };
}

/** fastd_config_method: appends a method unless the group already lists it. */
export function addMethod(group: GroupDraft, name: string, source: SourceLocation | undefined): void {
  if (group.methods.includes(name)) return;
  group.methods.push(name);
  group.methodSources.set(name, source);
}

/**
 * fastd_config_ifname: no `/`, and at most one `%` pattern which must be `%n` (peer name)
 * or `%k` (start of the peer key).
 */
export function isValidInterfaceName(name: string): boolean {
  if (name.includes('/')) return false;
  const percent = name.indexOf('%');
  if (percent < 0) return true;
  if (name.lastIndexOf('%') !== percent) return false;
  const pattern = name[percent + 1];
  return pattern === 'n' || pattern === 'k';
}

/** MTU bounds fastd enforces in the config and on the command line. */
const MIN_MTU = 576;
const MAX_MTU = 65535;
export function isValidMtu(mtu: bigint | number): boolean {
  return mtu >= MIN_MTU && mtu <= MAX_MTU;
}
