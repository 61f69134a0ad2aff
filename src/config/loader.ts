// Loading a configuration: the operations fastd's command line performs in order
// (--config, --config-peer, --config-peer-dir), then the start-up checks and the freeze.
import { newConfigDraft, newPeerDraft, type ConfigDraft } from './draft.js';
import type { ConfigWarning } from './errors.js';
import { checkConfig, type CheckLevel } from './checks.js';
import { freezeConfig } from './freeze.js';
import { parseConfigSource } from './parser.js';
import { addPeerDir } from './peer-dir.js';
import { addStaticPeer } from './peer-check.js';
import { parsePeerSource } from './peer-statements.js';
import { readConfigSource, stdinSource } from './sources.js';
import type { Config } from './types.js';

interface LoadedConfig {
  readonly config: Config;
  readonly warnings: readonly ConfigWarning[];
}

/** --config <file>: a main configuration file, relative to `cwd`. */
export function readConfigFile(draft: ConfigDraft, name: string, cwd: string): void {
  parseConfigSource(draft, readConfigSource(name, cwd), draft.root, 0);
}

/** --config -: a main configuration read from stdin. */
export function readConfigText(draft: ConfigDraft, text: string | Uint8Array, cwd: string): void {
  parseConfigSource(draft, stdinSource(text, cwd), draft.root, 0);
}

/** --config-peer <file>: one unnamed peer of the root group. */
export function readPeerConfigFile(draft: ConfigDraft, name: string, cwd: string): void {
  const peer = newPeerDraft(undefined);
  const end = parsePeerSource(readConfigSource(name, cwd), peer, 0);
  addStaticPeer(draft, peer, draft.root, end);
}

/** --config-peer-dir <dir>: a peer directory of the root group. */
export function addRootPeerDir(draft: ConfigDraft, name: string, cwd: string): void {
  addPeerDir(draft, draft.root, cwd, name, undefined);
}

/** Runs the checks of `level` and returns the frozen configuration with every warning. */
export function finishConfig(draft: ConfigDraft, level: CheckLevel): LoadedConfig {
  checkConfig(draft, level);
  return { config: freezeConfig(draft), warnings: Object.freeze([...draft.warnings]) };
}

/**
 * Loads one main configuration file with the checks fastd makes when it starts (level
 * 'full'); throws ConfigError for anything fastd would refuse.
 */
export function loadConfigFile(path: string, level: CheckLevel = 'full', cwd: string = process.cwd()): LoadedConfig {
  const draft = newConfigDraft();
  readConfigFile(draft, path, cwd);
  return finishConfig(draft, level);
}

/** Like loadConfigFile for configuration text; `name` appears in error messages. */
export function loadConfigText(text: string, level: CheckLevel = 'full', cwd: string = process.cwd()): LoadedConfig {
  const draft = newConfigDraft();
  readConfigText(draft, text, cwd);
  return finishConfig(draft, level);
}

