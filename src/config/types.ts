// The loaded configuration: what fastd keeps in its global `conf`, its peer-group tree and
// its static peers (src/fastd.h, src/peer_group.h, src/peer.h), as deeply frozen data.
import type { LogLevel } from '../log/levels.js';
import type { SourceLocation } from './errors.js';
import type { ListenAddress } from './addresses.js';

export type Mode = 'tap' | 'multitap' | 'tun';
/** fastd-ts's datapath I/O: io_uring (falls back by itself where the kernel refuses it) or recvmmsg/sendmmsg. */
export const IO_BACKENDS = ['io_uring', 'fallback'] as const;
export type IoBackend = (typeof IO_BACKENDS)[number];
/**
 * `packet memory limit` / --packet-memory-limit (MiB), a fastd-ts extension: the packet memory
 * each datapath worker may use at most. The workers' windows of the one shared memory are
 * addressed by signed 32-bit offsets, hence the maximum; below the minimum a worker cannot
 * hold its receive slots and a few batches.
 */
export const PACKET_MEMORY_LIMIT_MIB = { DEFAULT: 256, MIN: 16, MAX: 2048 } as const;
export const BYTES_PER_MIB = 1024 * 1024;
/** Most datapath workers `workers` / --workers accepts: far beyond any core count it makes sense to spread peers over. */
export const MAX_WORKERS = 64;

/** `drop capabilities yes|no|early|force` (fastd's DROP_CAPS_ON/OFF/EARLY/FORCE). */
export type DropCapabilities = 'yes' | 'no' | 'early' | 'force';

export type AddressFamily = 'ipv4' | 'ipv6';

/**
 * A hook command. `dir` is the working directory fastd runs it in: the directory of the
 * config file that set it (fastd chdirs there while parsing), or the daemon's cwd for
 * command-line hooks. `sync` is the flag as written; fastd runs pre-up, up, down and
 * post-down of the main interface synchronously whatever the flag says.
 */
export interface ShellCommand {
  readonly command: string;
  readonly sync: boolean;
  readonly dir: string;
  readonly source: SourceLocation | undefined;
}

interface GroupHooks {
  readonly onUp?: ShellCommand;
  readonly onDown?: ShellCommand;
  readonly onConnect?: ShellCommand;
  readonly onEstablish?: ShellCommand;
  readonly onDisestablish?: ShellCommand;
}
export type GroupHookName = keyof GroupHooks;

/** A node of the peer-group tree; unset settings are inherited from the parent (fastd_peer_group_lookup). */
export interface PeerGroup {
  /** `default` for the root group, as in fastd. */
  readonly name: string;
  readonly parent: PeerGroup | undefined;
  readonly children: readonly PeerGroup[];
  /** `peer limit`; undefined when this group sets none. */
  readonly peerLimit: number | undefined;
  /** This group's methods in order of preference; empty = inherited. */
  readonly methods: readonly string[];
  /** Absolute paths of `include peers from` directories of this group, to (re)load with loadPeerDir. */
  readonly peerDirs: readonly string[];
  readonly hooks: GroupHooks;
}

export type Remote =
  | { readonly kind: 'address'; readonly family: AddressFamily; readonly address: string; readonly port: number }
  /** A name to resolve; `family` restricts the lookup (`remote ipv4 "host"`); scoped IPv6 literals land here too, as fastd stores them. */
  | {
      readonly kind: 'hostname';
      readonly family: AddressFamily | undefined;
      readonly hostname: string;
      readonly port: number;
    };

export interface PeerConfig {
  /** undefined for `include peer "file"` without `as` and for --config-peer. */
  readonly name: string | undefined;
  /** The public key, 64 lowercase hex digits. */
  readonly key: string;
  readonly remotes: readonly Remote[];
  /** `float yes`; fastd also treats peers without remotes as floating. */
  readonly floating: boolean;
  readonly mtu: number | undefined;
  readonly interface: string | undefined;
  readonly group: PeerGroup;
  /** The peer directory the peer was read from, if any. */
  readonly sourceDir: string | undefined;
}

export interface BindAddress {
  /** `any` binds the unspecified address for both families (one dual-stack socket on Linux). */
  readonly family: AddressFamily | 'any';
  /** The literal address (`0.0.0.0`/`::` style for unspecified); IPv4-mapped IPv6 is simplified to IPv4 as fastd does. */
  readonly address: string;
  /** undefined: no port given, a new socket with a random port per outgoing connection. 0: one random port. */
  readonly port: number | undefined;
  /** `interface "x"` or the scope of `[fe80::1%x]`. */
  readonly interface: string | undefined;
}

interface LogConfig {
  /** undefined = no stderr output (fastd: only when syslog is configured). */
  readonly stderrLevel: LogLevel | undefined;
  readonly syslogLevel: LogLevel | undefined;
  readonly syslogIdent: string;
  readonly hideIpAddresses: boolean;
  readonly hideMacAddresses: boolean;
}

export interface Config {
  readonly protocol: 'ec25519-fhmqvc';
  /** 64 hex digits as configured; undefined when no secret is set (allowed for --generate-key only). */
  readonly secret: string | undefined;
  readonly mode: Mode;
  /** Interface name or `%n`/`%k` pattern. */
  readonly interface: string | undefined;
  readonly mtu: number;
  readonly persistInterface: boolean;
  readonly offloadL2tp: boolean;
  readonly forward: boolean;
  /** `io backend` / --io-backend, a fastd-ts extension. */
  readonly ioBackend: IoBackend;
  /** `packet memory limit` / --packet-memory-limit, a fastd-ts extension: bytes of packet memory per datapath worker. */
  readonly packetMemoryLimit: number;
  /** `workers` / --workers, a fastd-ts extension: datapath worker threads; undefined = one per core. */
  readonly workers: number | undefined;
  /** 32-bit SO_MARK value; 0 = none. */
  readonly packetMark: number;
  /** In configuration order. Empty means fastd's default: `bind any` with a random port per connection. */
  readonly binds: readonly BindAddress[];
  /** Indexes into `binds` of the default address per family (fastd's bind_addr_default_v4/v6). */
  readonly defaultBind: { readonly ipv4: number | undefined; readonly ipv6: number | undefined };
  readonly log: LogConfig;
  readonly user: string | undefined;
  readonly group: string | undefined;
  readonly dropCapabilities: DropCapabilities;
  readonly statusSocket: string | undefined;
  /** --peer-state-file, a fastd-ts extension: where peers were (engine/control/peer-state-file.ts); undefined = none. */
  readonly peerStateFile: string | undefined;
  /** `metrics listen` / --metrics-listen, a fastd-ts extension: the Prometheus endpoint; undefined = none. */
  readonly metricsListen: ListenAddress | undefined;
  readonly pidFile: string | undefined;
  readonly daemon: boolean;
  readonly onPreUp: ShellCommand | undefined;
  readonly onPostDown: ShellCommand | undefined;
  readonly onVerify: ShellCommand | undefined;
  /** The group unknown peers accepted by `on verify` join. */
  readonly onVerifyGroup: PeerGroup | undefined;
  /** `cipher "x" use "y"` / `mac "x" use "y"` choices, by cipher/MAC name. */
  readonly cipherImplementations: Readonly<Record<string, string>>;
  readonly macImplementations: Readonly<Record<string, string>>;
  readonly peerGroup: PeerGroup;
  /** Peers defined inline, by `include peer` or --config-peer (peer directories are loaded separately). */
  readonly peers: readonly PeerConfig[];
  /** Every method of every group, each once, root group first (the methods the daemon must provide). */
  readonly methods: readonly string[];
}
