// Peer directories (`include peers from "dir"`, --config-peer-dir): every regular file in
// them is one peer named after the file. fastd reads them at start-up and again on
// SIGHUP; a broken file only loses that peer, so errors are returned per file.
import { type Dirent, readdirSync, realpathSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { newPeerDraft, type ConfigDraft, type GroupDraft } from './draft.js';
import { ConfigError, describeSystemError, type ConfigWarning, type SourceLocation } from './errors.js';
import { toPeer } from './freeze.js';
import { checkedPeerKey } from './peer-check.js';
import { parsePeerSource } from './peer-statements.js';
import { readConfigBytes, readSmallFile } from './sources.js';
import type { SmallFileReader } from '../io/uring/small-files.js';
import type { PeerConfig, PeerGroup } from './types.js';

/** fastd_config_add_peer_dir: a directory that cannot be entered is reported and skipped. */
export function addPeerDir(
  draft: ConfigDraft,
  group: GroupDraft,
  baseDir: string,
  name: string,
  location: SourceLocation | undefined,
): void {
  let dir: string;
  try {
    dir = realpathSync(resolve(baseDir, name));
    if (!statSync(dir).isDirectory()) throw new ConfigError('not a directory');
  } catch (error) {
    const why = error instanceof ConfigError ? error.what : describeSystemError(error);
    draft.warnings.push({ message: `ignoring peer directory \`${name}': ${why}`, location });
    return;
  }
  if (!group.peerDirs.includes(dir)) group.peerDirs.push(dir);
}

export interface PeerDirResult {
  /** The usable peers, ordered by file name. */
  readonly peers: PeerConfig[];
  /** One error per file that yields no peer (syntax, missing or invalid key). */
  readonly errors: ConfigError[];
  readonly warnings: ConfigWarning[];
  /** The directory's ctime before it was read (see changedSince); undefined when stat failed. */
  readonly changed: bigint | undefined;
}

/** A directory's ctime moves whenever a name in it is added, removed or renamed. */
function changeTime(dir: string): bigint | undefined {
  try {
    return statSync(dir, { bigint: true }).ctimeNs;
  } catch {
    return undefined;
  }
}

/**
 * Whether a file may have come, gone or been replaced in `dir` since `result` was read. A file
 * rewritten in place leaves the directory's ctime as it was: that change is not seen.
 */
export function changedSince(dir: string, result: PeerDirResult): boolean {
  return result.changed === undefined || changeTime(dir) !== result.changed;
}

/** fastd ignores hidden files and editor backups (`name~`). */
function isPeerFileName(name: string): boolean {
  return !name.startsWith('.') && !name.endsWith('~');
}

/**
 * The path of a file in a directory that is a physical path already (addPeerDir resolved it),
 * without join's normalisation of the 50,000 paths of a big directory.
 */
const pathIn = (dir: string, name: string): string => (dir.endsWith('/') ? dir + name : `${dir}/${name}`);

/** `dir` is the directory of every file in it; `bytes` as read, if it was. */
function readPeerFile(dir: string, name: string, bytes: Uint8Array | undefined, group: PeerGroup): PeerConfig {
  const peer = newPeerDraft(name, dir);
  const path = pathIn(dir, name);
  const end = parsePeerSource({ name: path, dir, bytes: bytes ?? readConfigBytes(path, path) }, peer, 0);
  return toPeer(peer, checkedPeerKey(peer, end), group);
}

/**
 * (Re)reads one peer directory of `group`: every peer file that parses and has a valid key,
 * in file name order. Duplicate keys are the engine's business (fastd disables both peers).
 * With `reader` the files are read in batches through io_uring, else one by one; a file that
 * either leaves unread (it failed, or is large) is read again by the path that names the failure.
 */
export function loadPeerDir(dir: string, group: PeerGroup, reader?: SmallFileReader): PeerDirResult {
  const errors: ConfigError[] = [];
  const warnings: ConfigWarning[] = [];
  // before the names are read: a change while they are read shows as a later ctime
  const changed = changeTime(dir);
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true }).filter((entry) => isPeerFileName(entry.name));
  } catch (error) {
    errors.push(new ConfigError(`can't read peer directory \`${dir}': ${describeSystemError(error)}`));
    return { peers: [], errors, warnings, changed };
  }

  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const names: string[] = [];
  for (const entry of entries) {
    const name = entry.name;
    try {
      // The directory entry's type spares a stat per file; links (and unknown types) are followed.
      if (entry.isFile() || (!entry.isDirectory() && statSync(pathIn(dir, name)).isFile())) names.push(name);
    } catch (error) {
      warnings.push({ message: `ignoring file \`${pathIn(dir, name)}': stat failed: ${describeSystemError(error)}` });
    }
  }
  const peers: PeerConfig[] = [];
  const each = (index: number, bytes: Uint8Array | undefined): void => {
    try {
      peers.push(readPeerFile(dir, names[index]!, bytes, group));
    } catch (error) {
      errors.push(error instanceof ConfigError ? error : new ConfigError(describeSystemError(error)));
    }
  };
  if (!reader?.readAll(dir, names, each)) names.forEach((name, index) => each(index, readSmallFile(pathIn(dir, name))));
  return { peers, errors, warnings, changed };
}
