// The configured peers at start-up and on SIGHUP (fastd_configure_peers,
// fastd_config_load_peer_dirs): new files add peers, unchanged ones keep their connection,
// a changed peer reconnects, a removed (or now broken) file drops its peer, and a broken
// file is reported without stopping the rest. fastd's rules hold over all of them: a key
// used twice (peer and directory file, or two files) disables both, our own key is ignored.
import { formatWarning } from '../../config/errors.js';
import { changedSince, loadPeerDir, type PeerDirResult } from '../../config/peer-dir.js';
import type { Config, PeerConfig, PeerGroup, Remote } from '../../config/types.js';
import { SmallFileReader } from '../../io/uring/small-files.js';
import { log } from '../../log/logger.js';
import type { ControlPlane } from './control-plane.js';
import { describeConfiguredPeer } from './peer-state.js';

function sameRemote(a: Remote, b: Remote): boolean {
  if (a.kind === 'address' && b.kind === 'address') return a.address === b.address && a.port === b.port && a.family === b.family;
  if (a.kind === 'hostname' && b.kind === 'hostname') return a.hostname === b.hostname && a.port === b.port && a.family === b.family;
  return false;
}

/** fastd's peer_configs_equal (the name may differ), plus the MTU, which changes the handshake. */
function samePeerConfig(a: PeerConfig, b: PeerConfig): boolean {
  return (
    a.group === b.group &&
    a.floating === b.floating &&
    a.interface === b.interface &&
    a.mtu === b.mtu &&
    a.remotes.length === b.remotes.length &&
    a.remotes.every((remote, i) => sameRemote(remote, b.remotes[i]!))
  );
}

/** The groups in the order fastd reads their peer directories: a group, then its children, each list last-declared first. */
function groupsInReadOrder(root: PeerGroup): PeerGroup[] {
  const all: PeerGroup[] = [];
  const stack = [root];
  for (let group = stack.pop(); group; group = stack.pop()) {
    all.push(group);
    stack.push(...group.children);
  }
  return all;
}

/**
 * fastd_peer_add and protocol_check_peer over every peer definition, in fastd's order: a
 * key defined twice disables every peer with it (fastd keeps the first, disabled), and a
 * peer with our own key is ignored. Returns the definitions that stay enabled, by key, in order.
 */
function enabledPeers(control: ControlPlane, definitions: readonly PeerConfig[]): Map<string, PeerConfig> {
  const byKey = new Map<string, PeerConfig>();
  const disabled = control.disabled;
  disabled.clear();
  for (const peer of definitions) {
    const other = disabled.get(peer.key) ?? byKey.get(peer.key);
    if (!other) {
      byKey.set(peer.key, peer);
      continue;
    }
    log.warn(`duplicate key used by peers ${describeConfiguredPeer(peer)} and ${describeConfiguredPeer(other)}, disabling both`);
    byKey.delete(peer.key);
    disabled.set(peer.key, other);
  }
  const own = byKey.get(control.deps.localKey);
  if (own) {
    log.verbose(`found own key as ${describeConfiguredPeer(own)}, ignoring peer`);
    byKey.delete(own.key);
    disabled.set(own.key, own);
  }
  return byKey;
}

/** The peers of the configuration file (start-up, before privileges are dropped). */
export function addStaticPeers(control: ControlPlane, now: number): void {
  for (const peer of enabledPeers(control, control.config.peers).values()) control.addPeer(peer, false, now);
}

/** Every peer directory of a configuration as read at one time, in the order fastd reads them. */
export interface PeerDirsRead {
  readonly dirs: readonly { readonly dir: string; readonly result: PeerDirResult }[];
}

/**
 * Reads every peer directory of `config`; nothing is logged or applied until loadPeerDirs. The
 * files are read through io_uring unless the configuration keeps the daemon from it (`io backend
 * "fallback"`) or the kernel refuses it.
 */
export function readPeerDirs(config: Config): PeerDirsRead {
  const groups = groupsInReadOrder(config.peerGroup).filter((group) => group.peerDirs.length > 0);
  const reader = groups.length > 0 && config.ioBackend === 'io_uring' ? SmallFileReader.open() : undefined;
  const dirs: { dir: string; result: PeerDirResult }[] = [];
  try {
    for (const group of groups) {
      for (const dir of [...group.peerDirs].reverse()) dirs.push({ dir, result: loadPeerDir(dir, group, reader) });
    }
  } finally {
    reader?.close();
  }
  return { dirs };
}

/**
 * (Re)loads every peer directory of the configuration into the control plane: from `early`,
 * the directories as read at start-up while the workers started, when no file has come or
 * gone in them since, or else as they are now.
 */
export function loadPeerDirs(control: ControlPlane, now: number, early?: PeerDirsRead): void {
  const { config } = control;
  const read = early && !early.dirs.some(({ dir, result }) => changedSince(dir, result)) ? early : readPeerDirs(config);
  const definitions: PeerConfig[] = [...config.peers];
  for (const { result } of read.dirs) {
    for (const warning of result.warnings) log.warn(formatWarning(warning));
    for (const error of result.errors) log.error(error.message);
    for (const peer of result.peers) definitions.push(peer);
  }
  const enabled = enabledPeers(control, definitions);
  for (const peer of [...control.table.all()]) {
    if (enabled.has(peer.config.key)) continue;
    if (control.disabled.has(peer.config.key)) {
      if (peer.dynamic) control.delete(peer);
      else control.disable(peer);
    } else if (!peer.dynamic && peer.config.sourceDir !== undefined) {
      control.delete(peer);
    }
  }
  for (const peer of enabled.values()) {
    if (peer.sourceDir !== undefined) apply(control, peer, now);
    else if (!control.table.find(peer.key)) control.addPeer(peer, false, now);
  }
}

/**
 * SIGHUP (fastd_config_load_peer_dirs(false)): reloads the peer directories, then restarts
 * every configured peer that has no connection, so each tries its remotes (and resolves
 * them) at once; connected peers keep their sessions.
 */
export function reloadPeers(control: ControlPlane, now: number): void {
  const before = new Set(control.table.all());
  loadPeerDirs(control, now);
  // Peers the reload added were set up just now.
  for (const peer of [...control.table.all()]) {
    if (before.has(peer) && !peer.dynamic && !peer.established) control.reset(peer, now);
  }
}

function apply(control: ControlPlane, config: PeerConfig, now: number): void {
  const existing = control.table.find(config.key);
  if (existing) {
    if (existing.dynamic) {
      log.verbose(`dynamic peer ${existing} is now configured as <${config.name}>`);
    } else if (samePeerConfig(existing.config, config)) {
      if (existing.config.name !== config.name) log.verbose(`peer ${existing} has been renamed to <${config.name}>`);
      existing.config = config;
      log.verbose(`peer ${existing} is unchanged`);
      return;
    } else {
      log.verbose(`peer <${config.name}> has changed`);
    }
    control.delete(existing);
  }
  control.addPeer(config, false, now);
}
