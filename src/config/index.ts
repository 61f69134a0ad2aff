// The configuration API other components use.
export { ConfigError, formatLocation, formatWarning, type ConfigWarning, type SourceLocation } from './errors.js';
export { loadConfigFile, loadConfigText, type LoadedConfig } from './loader.js';
export { loadPeerDir, type PeerDirResult } from './peer-dir.js';
export { effectiveHook, effectiveMethods, peerLimits } from './lookup.js';
export type * from './types.js';
