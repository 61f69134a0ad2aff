// Peer directories at start-up and on SIGHUP (fastd_config_load_peer_dirs): new files add
// peers, unchanged ones keep their connection, a changed peer reconnects, a removed (or now
// broken) file drops its peer, and a broken file is reported without stopping the rest.
import { formatWarning, loadPeerDir } from '../config/index.js';
import type { Peer, PeerGroup, Remote } from '../config/types.js';
import { log } from '../log/logger.js';
import type { ControlPlane } from './control-plane.js';

function sameRemote(a: Remote, b: Remote): boolean {
  if (a.kind === 'address' && b.kind === 'address') return a.address === b.address && a.port === b.port && a.family === b.family;
  if (a.kind === 'hostname' && b.kind === 'hostname') return a.hostname === b.hostname && a.port === b.port && a.family === b.family;
  return false;
}

/** fastd's peer_configs_equal (the name may differ), plus the MTU, which changes the handshake. */
export function samePeerConfig(a: Peer, b: Peer): boolean {
  return (
    a.group === b.group &&
    a.floating === b.floating &&
    a.interface === b.interface &&
    a.mtu === b.mtu &&
    a.remotes.length === b.remotes.length &&
    a.remotes.every((remote, i) => sameRemote(remote, b.remotes[i]!))
  );
}

function groups(root: PeerGroup): PeerGroup[] {
  const all: PeerGroup[] = [];
  const stack = [root];
  for (let group = stack.pop(); group; group = stack.pop()) {
    all.push(group);
    stack.push(...[...group.children].reverse());
  }
  return all;
}

/** (Re)loads every peer directory of the configuration into the control plane. */
export function loadPeerDirs(control: ControlPlane, now: number): void {
  const { config } = control;
  const staticKeys = new Set(config.peers.map((peer) => peer.key));
  const seen = new Set<string>();
  for (const group of groups(config.peerGroup)) {
    for (const dir of group.peerDirs) {
      const result = loadPeerDir(dir, group, staticKeys);
      for (const warning of result.warnings) log.warn(formatWarning(warning));
      for (const error of result.errors) log.error(error.message);
      for (const peer of result.peers) {
        if (seen.has(peer.key)) {
          log.warn(`duplicate key used by peer <${peer.name}> in \`${dir}', ignoring it`);
          continue;
        }
        seen.add(peer.key);
        apply(control, peer, now);
      }
    }
  }
  for (const peer of [...control.table.all()]) {
    if (peer.config.sourceDir !== undefined && !seen.has(peer.config.key)) {
      log.verbose(`removing peer ${peer}`);
      control.delete(peer);
    }
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

function apply(control: ControlPlane, config: Peer, now: number): void {
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
