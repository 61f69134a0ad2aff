// The checks fastd makes only when it starts (fastd_config_check, configure_user,
// configure_methods, protocol_init, iface name formatting), made when the configuration
// is loaded so that --verify-config finds every problem start-up would.
import { parseMethodName } from '../crypto/methods/names.js';
import { IFNAMSIZ } from '../io/linux-abi.js';
import { accountExists } from './accounts.js';
import { addMethod, type ConfigDraft, type GroupDraft, type StaticPeerDraft } from './draft.js';
import { ConfigError, type SourceLocation } from './errors.js';
import { isValidSecret } from './keys-text.js';
import { describePeer } from './peer-check.js';

/** Linux truncates longer interface names (IFNAMSIZ less the terminating NUL). */
const MAX_INTERFACE_NAME = IFNAMSIZ - 1;
/** `%k` expands to this many hex digits of the peer key. */
const KEY_PATTERN_DIGITS = 16;

export type CheckLevel = 'none' | 'secret' | 'full';

/** protocol_init: "no secret key configured" / "invalid secret key". */
function checkSecret(draft: ConfigDraft): void {
  if (!draft.secret) throw new ConfigError('no secret key configured');
  if (!isValidSecret(draft.secret.text)) throw new ConfigError('invalid secret key', draft.secret.source);
}

/** config_check_base: where the L2TP kernel offload can work at all. */
function checkOffload(draft: ConfigDraft): void {
  if (!draft.offloadL2tp.enabled) return;
  const at = draft.offloadL2tp.source;
  if (draft.mode !== 'multitap') throw new ConfigError('L2TP offload is available in multi-TAP mode only', at);
  if (draft.persistInterface) throw new ConfigError("`persist iface' must be set to `no' for L2TP offload", at);
}

function hasPeerDirs(group: GroupDraft): boolean {
  return group.peerDirs.length > 0 || group.children.some(hasPeerDirs);
}

/** fastd_config_single_iface: whether one interface serves every peer. */
function singleInterface(draft: ConfigDraft): boolean {
  if (draft.mode === 'tap') return true;
  return !hasPeerDirs(draft.root) && !draft.onVerify && draft.peers.length === 1;
}

function checkMethods(draft: ConfigDraft, visit: GroupDraft): void {
  for (const name of visit.methods) {
    if (!parseMethodName(name)) throw new ConfigError(`method \`${name}' not supported`, visit.methodSources.get(name));
  }
  for (const child of visit.children) checkMethods(draft, child);
}

/** The name fastd_iface_format_name gives a peer's interface; undefined = chosen by the kernel. */
function peerInterfaceName(draft: ConfigDraft, peer: StaticPeerDraft, single: boolean): string | undefined {
  const global = draft.interface?.name;
  const pattern = peer.interface?.name ?? (single || global?.includes('%') ? global : undefined);
  if (pattern === undefined) return undefined;
  const percent = pattern.indexOf('%');
  if (percent < 0) return pattern.slice(0, MAX_INTERFACE_NAME);
  let value: string;
  if (pattern[percent + 1] === 'n') {
    if (peer.name === undefined) {
      throw new ConfigError(`invalid \`%n' interface pattern for peer without name`, peer.source);
    }
    value = peer.name;
  } else {
    value = peer.key.text.slice(0, KEY_PATTERN_DIGITS);
  }
  return (pattern.slice(0, percent) + value + pattern.slice(percent + 2)).slice(0, MAX_INTERFACE_NAME);
}

/** Interface names that would make fastd fail to create an interface. */
function checkInterfaceNames(draft: ConfigDraft): void {
  const global = draft.interface;
  if (draft.mode === 'tap') {
    if (global?.name.includes('%')) {
      throw new ConfigError("invalid TUN/TAP device name: `%n' and `%k' patterns can't be used in TAP mode", global.source);
    }
    return;
  }
  const single = singleInterface(draft);
  const owners = new Map<string, StaticPeerDraft>();
  for (const peer of draft.peers) {
    const name = peerInterfaceName(draft, peer, single);
    if (name === undefined) continue;
    const other = owners.get(name);
    if (other) {
      const where: SourceLocation = peer.interface?.source ?? peer.source;
      throw new ConfigError(
        `interface name \`${name}' would be used by peers ${describePeer(other.name)} and ${describePeer(peer.name)}`,
        where,
      );
    }
    owners.set(name, peer);
  }
  const someoneUnnamed = draft.peers.some((peer) => !peer.interface) || hasPeerDirs(draft.root) || draft.onVerify;
  if (global && !single && !global.name.includes('%') && someoneUnnamed) {
    draft.warnings.push({
      message: `interface name \`${global.name}' is ignored: in ${draft.mode} mode every peer has its own interface, use a %n or %k pattern`,
      location: global.source,
    });
  }
}

function checkAccounts(draft: ConfigDraft): void {
  if (draft.user && !accountExists('passwd', draft.user.name)) {
    throw new ConfigError(`unable to find user \`${draft.user.name}'`, draft.user.source);
  }
  if (draft.group && !accountExists('group', draft.group.name)) {
    throw new ConfigError(`unable to find group \`${draft.group.name}'`, draft.group.source);
  }
}

/**
 * Checks the draft for the given level: 'secret' for --show-key, 'full' for running and
 * --verify-config. May add the `null` method and warnings, as fastd does at start-up.
 */
export function checkConfig(draft: ConfigDraft, level: CheckLevel): void {
  if (level === 'none') return;
  checkSecret(draft);
  if (level === 'secret') return;
  checkOffload(draft);
  if (draft.peers.length === 0 && !hasPeerDirs(draft.root) && !draft.onVerify) {
    throw new ConfigError('neither fixed peers nor peer dirs have been configured');
  }
  if (draft.root.methods.length === 0) {
    draft.warnings.push({ message: "no encryption method configured, falling back to method `null' (unencrypted)" });
    addMethod(draft.root, 'null', undefined);
  }
  checkMethods(draft, draft.root);
  checkInterfaceNames(draft);
  checkAccounts(draft);
}
