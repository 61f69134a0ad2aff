// What fastd_peer_add checks when a peer definition is complete: the peer needs a usable
// key ("no valid key configured for peer"), and no two peers may share one.
import type { ConfigDraft, GroupDraft, PeerDraft } from './draft.js';
import { ConfigError, type SourceLocation } from './errors.js';
import { isValidPeerKey } from './keys-text.js';

/** fastd's %P: `<name>`, or `(null)` for peers without a name. */
export function describePeer(name: string | undefined): string {
  return name === undefined ? '(null)' : `<${name}>`;
}

/** Returns the peer's key in canonical (lowercase) form; `end` is where the definition ended. */
export function checkedPeerKey(peer: PeerDraft, end: SourceLocation): string {
  if (!peer.key) throw new ConfigError(`no key configured for peer ${describePeer(peer.name)}`, end);
  if (!isValidPeerKey(peer.key.text)) {
    throw new ConfigError(`invalid key \`${peer.key.text}' for peer ${describePeer(peer.name)}`, peer.key.source ?? end);
  }
  return peer.key.text.toLowerCase();
}

function duplicateKeyError(name: string | undefined, otherName: string | undefined, end: SourceLocation): ConfigError {
  return new ConfigError(
    `duplicate key used by peers ${describePeer(name)} and ${describePeer(otherName)}`,
    end,
  );
}

/** fastd_peer_add for a peer of the main configuration: a bad or duplicate key fails the configuration. */
export function addStaticPeer(draft: ConfigDraft, peer: PeerDraft, group: GroupDraft, end: SourceLocation): void {
  const key = checkedPeerKey(peer, end);
  const other = draft.peers.find((known) => known.key.text === key);
  if (other) throw duplicateKeyError(peer.name, other.name, end);
  draft.peers.push({ ...peer, key: { text: key, source: peer.key?.source }, group, source: end });
}

