// Peer directories (`include peers from "dir"`, --config-peer-dir): every regular file in
// them is one peer named after the file. fastd reads them at start-up and again on
// SIGHUP; a broken file only loses that peer, so errors are returned per file.
import { type Dirent, readdirSync, realpathSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { newPeerDraft, type ConfigDraft, type GroupDraft } from './draft.js';
import { ConfigError, describeSystemError, type ConfigWarning, type SourceLocation } from './errors.js';
import { toPeer } from './freeze.js';
import { checkedPeerKey } from './peer-check.js';
import { parsePeerSource } from './peer-statements.js';
import { readConfigBytes, readSmallFile } from './sources.js';
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

interface PeerDirResult {
  /** The usable peers, ordered by file name. */
  readonly peers: PeerConfig[];
  /** One error per file that yields no peer (syntax, missing or invalid key). */
  readonly errors: ConfigError[];
  readonly warnings: ConfigWarning[];
}

/** fastd ignores hidden files and editor backups (`name~`). */
function isPeerFileName(name: string): boolean {
  return !name.startsWith('.') && !name.endsWith('~');
}

/** `dir` is a physical path already (addPeerDir resolved it), the directory of every file in it. */
function readPeerFile(dir: string, name: string, group: PeerGroup): PeerConfig {
  const peer = newPeerDraft(name, dir);
  const path = join(dir, name);
  const source = { name: path, dir, bytes: readSmallFile(path) ?? readConfigBytes(path, path) };
  const end = parsePeerSource(source, peer, 0);
  const key = checkedPeerKey(peer, end);
  return toPeer({ ...peer, key: { text: key, source: peer.key?.source }, source: end }, group);
}

/**
 * (Re)reads one peer directory of `group`: every peer file that parses and has a valid key,
 * in file name order. Duplicate keys are the engine's business (fastd disables both peers).
 */
export function loadPeerDir(dir: string, group: PeerGroup): PeerDirResult {
  const errors: ConfigError[] = [];
  const warnings: ConfigWarning[] = [];
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true }).filter((entry) => isPeerFileName(entry.name));
  } catch (error) {
    errors.push(new ConfigError(`can't read peer directory \`${dir}': ${describeSystemError(error)}`));
    return { peers: [], errors, warnings };
  }

  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const peers: PeerConfig[] = [];
  for (const entry of entries) {
    const name = entry.name;
    try {
      // The directory entry's type spares a stat per file; links (and unknown types) are followed.
      if (!(entry.isFile() || (!entry.isDirectory() && statSync(join(dir, name)).isFile()))) continue;
    } catch (error) {
      warnings.push({ message: `ignoring file \`${join(dir, name)}': stat failed: ${describeSystemError(error)}` });
      continue;
    }
    try {
      peers.push(readPeerFile(dir, name, group));
    } catch (error) {
      errors.push(error instanceof ConfigError ? error : new ConfigError(describeSystemError(error)));
    }
  }
  return { peers, errors, warnings };
}
