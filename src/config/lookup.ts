// Inheritance in the peer-group tree (fastd's fastd_peer_group_lookup): a group without a
// setting of its own uses its nearest ancestor's.
import type { GroupHookName, PeerGroup, ShellCommand } from './types.js';

/** The methods a peer of `group` may use, in order of preference. */
export function effectiveMethods(group: PeerGroup): readonly string[] {
  let current = group;
  while (current.parent && current.methods.length === 0) current = current.parent;
  return current.methods;
}

/** The hook a peer of `group` runs for `name`, if any. */
export function effectiveHook(group: PeerGroup, name: GroupHookName): ShellCommand | undefined {
  let current = group;
  while (current.parent && !current.hooks[name]) current = current.parent;
  return current.hooks[name];
}

/** The peer limits that apply to a peer of `group`, innermost first (each group counts its own connections). */
export function peerLimits(group: PeerGroup): { group: PeerGroup; limit: number }[] {
  const limits: { group: PeerGroup; limit: number }[] = [];
  for (let current: PeerGroup | undefined = group; current; current = current.parent) {
    if (current.peerLimit !== undefined) limits.push({ group: current, limit: current.peerLimit });
  }
  return limits;
}
