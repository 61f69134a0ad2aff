// Turns the drafts into the immutable Config: plain objects, deeply frozen, so that no
// consumer can change the configuration another component is reading.
import type { ConfigDraft, GroupDraft, PeerDraft } from './draft.js';
import { DEFAULT_LOG_LEVEL } from './draft.js';
import type { BindAddress, Config, PeerConfig, PeerGroup } from './types.js';

/** Object.freeze, recursively; tolerates the parent/child cycles of the group tree. */
function deepFreeze<T>(value: T, seen = new Set<unknown>()): T {
  if (typeof value !== 'object' || value === null || seen.has(value)) return value;
  seen.add(value);
  for (const key of Reflect.ownKeys(value)) deepFreeze((value as Record<PropertyKey, unknown>)[key], seen);
  return Object.freeze(value);
}

type GroupIndex = Map<GroupDraft, PeerGroup>;

function freezeGroup(draft: GroupDraft, parent: PeerGroup | undefined, index: GroupIndex): PeerGroup {
  const children: PeerGroup[] = [];
  const group: PeerGroup = {
    name: draft.name,
    parent,
    children,
    peerLimit: draft.peerLimit,
    methods: [...draft.methods],
    peerDirs: [...draft.peerDirs],
    hooks: { ...draft.hooks },
  };
  index.set(draft, group);
  for (const child of draft.children) children.push(freezeGroup(child, group, index));
  return group;
}

/** Shared by every peer without remotes: a supernode's directory holds tens of thousands. */
const NO_REMOTES: readonly never[] = Object.freeze([]);

/** The frozen peer of a draft whose key `key` (canonical) was checked. */
export function toPeer(draft: PeerDraft, key: string, group: PeerGroup): PeerConfig {
  return {
    name: draft.name,
    key,
    remotes: draft.remotes.length === 0 ? NO_REMOTES : [...draft.remotes],
    floating: draft.floating,
    mtu: draft.mtu,
    interface: draft.interface?.name,
    group,
    sourceDir: draft.sourceDir,
  };
}

/** fastd's collect_methods: each method of every group once, walking the tree from the root. */
function collectMethods(group: PeerGroup, into: string[]): string[] {
  for (const method of group.methods) if (!into.includes(method)) into.push(method);
  for (const child of group.children) collectMethods(child, into);
  return into;
}

/**
 * fastd's bind_addr_default_v4/v6: the last address marked `default` for a family, or
 * else the first address usable for it.
 */
function defaultBind(binds: readonly BindAddress[], flags: readonly boolean[], excluded: 'ipv4' | 'ipv6') {
  let chosen: number | undefined;
  binds.forEach((bind, i) => {
    if (bind.family !== excluded && (flags[i] || chosen === undefined)) chosen = i;
  });
  return chosen;
}

/**
 * Beside the status socket by default: a per-instance path in a directory the daemon's user
 * may write to, as it creates the socket there. Without a status socket, none unless asked for.
 */
function peerStateFile(draft: ConfigDraft): string | undefined {
  if (draft.peerStateFile !== undefined) return draft.peerStateFile === '' ? undefined : draft.peerStateFile;
  return draft.statusSocket === undefined ? undefined : `${draft.statusSocket}.peers`;
}

export function freezeConfig(draft: ConfigDraft): Config {
  const index: GroupIndex = new Map();
  const peerGroup = freezeGroup(draft.root, undefined, index);
  const binds: BindAddress[] = draft.binds.map((bind) => ({
    family: bind.family,
    address: bind.address,
    port: bind.port,
    interface: bind.interface,
  }));
  const stderrLevel = draft.stderrLevel ?? (draft.syslogLevel ? undefined : DEFAULT_LOG_LEVEL);
  const config: Config = {
    protocol: 'ec25519-fhmqvc',
    secret: draft.secret?.text,
    mode: draft.mode,
    interface: draft.interface?.name,
    mtu: draft.mtu,
    persistInterface: draft.persistInterface,
    offloadL2tp: draft.offloadL2tp.enabled,
    forward: draft.forward,
    ioBackend: draft.ioBackend,
    workers: draft.workers,
    packetMemoryLimit: draft.packetMemoryLimit,
    packetMark: draft.packetMark,
    binds,
    defaultBind: {
      ipv4: defaultBind(binds, draft.binds.map((bind) => bind.defaultIpv4), 'ipv6'),
      ipv6: defaultBind(binds, draft.binds.map((bind) => bind.defaultIpv6), 'ipv4'),
    },
    log: {
      stderrLevel,
      syslogLevel: draft.syslogLevel,
      syslogIdent: draft.syslogIdent,
      hideIpAddresses: draft.hideIpAddresses,
      hideMacAddresses: draft.hideMacAddresses,
    },
    user: draft.user?.name,
    group: draft.group?.name,
    dropCapabilities: draft.dropCapabilities,
    statusSocket: draft.statusSocket,
    peerStateFile: peerStateFile(draft),
    metricsListen: draft.metricsListen,
    pidFile: draft.pidFile,
    daemon: draft.daemon,
    onPreUp: draft.onPreUp,
    onPostDown: draft.onPostDown,
    onVerify: draft.onVerify,
    onVerifyGroup: draft.onVerifyGroup && index.get(draft.onVerifyGroup),
    cipherImplementations: Object.fromEntries(draft.cipherImplementations),
    macImplementations: Object.fromEntries(draft.macImplementations),
    peerGroup,
    peers: draft.peers.map((peer) => toPeer(peer, peer.key.text, index.get(peer.group) as PeerGroup)),
    methods: collectMethods(peerGroup, []),
  };
  return deepFreeze(config);
}
