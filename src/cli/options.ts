// fastd's command line (src/options.c): every option applied in the order given, so that
// a config file is read at the point of its --config and later settings override earlier
// ones. Like fastd, --help and --version act at once and ignore what follows.
import { LOG_LEVELS, type LogLevel } from '../log/levels.js';
import { parseIPv4, parseIPv6, parseListenAddress, simplifyIPv6 } from '../config/addresses.js';
import { addMethod, isIoBackend, isValidPacketMemoryLimit, isValidWorkerCount, isValidInterfaceName, isValidMtu, newConfigDraft, type ConfigDraft } from '../config/draft.js';
import type { ConfigWarning } from '../config/errors.js';
import { SUPPORTED_PROTOCOL } from '../config/global-statements.js';
import type { CheckLevel } from '../config/checks.js';
import { addRootPeerDir, finishConfig, readConfigFile, readConfigText, readPeerConfigFile } from '../config/loader.js';
import { readStdin } from '../config/sources.js';
import { BYTES_PER_MIB, type Config, type Mode, type ShellCommand } from '../config/types.js';
import { EXTENSION_OPTIONS, OPTION_GROUPS, type OptionId, type OptionSpec } from './usage.js';

export { usageText } from './usage.js';

type Command = 'run' | 'help' | 'version' | 'verify-config' | 'generate-key' | 'show-key';

export interface CommandLine {
  command: Command;
  machineReadable: boolean;
  /** The first configuration file given (not `-`), as given. */
  configFile: string | undefined;
  config: Config;
  warnings: ConfigWarning[];
}

/** A command line fastd would refuse; the message uses fastd's wording. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

const OPTIONS_BY_NAME = new Map<string, OptionSpec>(
  [...OPTION_GROUPS.flat(), ...EXTENSION_OPTIONS].flatMap((option) => option.names.map((name) => [name, option] as const)),
);
const MODES: readonly Mode[] = ['tap', 'multitap', 'tun'];
const MAX_PORT = 65535;

/** The checks each command needs before it can act (fastd's init_config order). */
const CHECK_LEVEL: Record<Command, CheckLevel> = {
  run: 'full',
  'verify-config': 'full',
  'show-key': 'secret',
  'generate-key': 'none',
  help: 'none',
  version: 'none',
};

/** C strtol(text, &end, 10) with the whole text consumed; like strtol, blanks and a sign may lead. */
function parseDecimal(text: string): number | undefined {
  if (!/^[ \t\n\v\f\r]*[+-]?[0-9]*$/.test(text)) return undefined;
  const digits = text.trim();
  return /[0-9]/.test(digits) ? Number(digits) : 0;
}

function parseLogLevel(text: string): LogLevel {
  if (!(LOG_LEVELS as readonly string[]).includes(text)) throw new UsageError(`invalid log level \`${text}'`);
  return text as LogLevel;
}

/** option_bind: `addr`, `addr:port`, `[v6]`, `[v6%iface]:port`, `any:port`; no port = a random one per connection. */
function applyBind(draft: ConfigDraft, argument: string): void {
  let addressText: string;
  let portText: string | undefined;
  if (argument.startsWith('[')) {
    const close = argument.lastIndexOf(']');
    const after = argument[close + 1];
    if (close < 0 || (after !== ':' && after !== undefined)) throw new UsageError(`invalid bind address \`${argument}'`);
    addressText = argument.slice(1, close);
    portText = after === ':' ? argument.slice(close + 2) : undefined;
  } else {
    const colon = argument.lastIndexOf(':');
    addressText = colon < 0 ? argument : argument.slice(0, colon);
    portText = colon < 0 ? undefined : argument.slice(colon + 1);
  }
  let port: number | undefined;
  if (portText !== undefined) {
    port = parseDecimal(portText);
    if (port === undefined || port < 0 || port > MAX_PORT) throw new UsageError(`invalid bind port \`${portText}'`);
  }
  const bind = { port, interface: undefined as string | undefined, defaultIpv4: false, defaultIpv6: false };
  if (argument.startsWith('[')) {
    const percent = addressText.indexOf('%');
    const literal = percent < 0 ? addressText : addressText.slice(0, percent);
    const bytes = parseIPv6(literal);
    if (!bytes) throw new UsageError(`invalid bind address \`[${literal}]'`);
    if (percent >= 0) bind.interface = addressText.slice(percent + 1);
    draft.binds.push({ ...bind, ...simplifyIPv6(bytes) });
  } else if (addressText === 'any') {
    draft.binds.push({ ...bind, family: 'any', address: '::' });
  } else {
    const address = parseIPv4(addressText);
    if (!address) throw new UsageError(`invalid bind address \`${addressText}'`);
    draft.binds.push({ ...bind, family: 'ipv4', address });
  }
}

/** A hook from the command line runs in the directory fastd was started in. */
function hook(state: ParseState, command: string, sync: boolean): ShellCommand {
  return { command, sync, dir: state.cwd, source: undefined };
}

interface ParseState {
  readonly draft: ConfigDraft;
  /** --help or --version, which end the command line. */
  immediate: 'help' | 'version' | undefined;
  verifyConfig: boolean;
  /** --generate-key and --show-key cancel each other; the last one counts. */
  keyCommand: 'generate-key' | 'show-key' | undefined;
  machineReadable: boolean;
  configFile: string | undefined;
  readonly cwd: string;
  readonly stdin: () => string | Uint8Array;
}

/** Applies one option with an argument, as the handler of the same name in fastd's options.c. */
function applyArgument(state: ParseState, id: OptionId, argument: string): void {
  const { draft, cwd } = state;
  switch (id) {
    case 'pid-file': draft.pidFile = argument; break;
    case 'status-socket': draft.statusSocket = argument; break;
    case 'config':
      if (argument === '-') {
        readConfigText(draft, state.stdin(), cwd);
      } else {
        readConfigFile(draft, argument, cwd);
        state.configFile ??= argument;
      }
      break;
    case 'config-peer': readPeerConfigFile(draft, argument, cwd); break;
    case 'config-peer-dir': addRootPeerDir(draft, argument, cwd); break;
    case 'user': draft.user = { name: argument, source: undefined }; break;
    case 'group': draft.group = { name: argument, source: undefined }; break;
    case 'log-level': draft.stderrLevel = parseLogLevel(argument); break;
    case 'syslog-level': draft.syslogLevel = parseLogLevel(argument); break;
    case 'syslog-ident': draft.syslogIdent = argument; break;
    case 'mode':
      if (!(MODES as readonly string[]).includes(argument)) throw new UsageError(`invalid mode \`${argument}'`);
      draft.mode = argument as Mode;
      break;
    case 'interface':
      // fastd silently keeps the old name here; a clear error is kinder.
      if (!isValidInterfaceName(argument)) throw new UsageError(`invalid interface name \`${argument}'`);
      draft.interface = { name: argument, source: undefined };
      break;
    case 'mtu': {
      const mtu = parseDecimal(argument);
      if (mtu === undefined || !isValidMtu(mtu)) throw new UsageError(`invalid mtu \`${argument}'`);
      draft.mtu = mtu;
      break;
    }
    case 'bind': applyBind(draft, argument); break;
    case 'protocol':
      if (argument !== SUPPORTED_PROTOCOL) throw new UsageError(`config error: protocol \`${argument}' not supported`);
      break;
    case 'method': addMethod(draft.root, argument, undefined); break;
    case 'io-backend':
      if (!isIoBackend(argument)) throw new UsageError(`invalid I/O backend \`${argument}'`);
      draft.ioBackend = argument;
      break;
    case 'workers': {
      const count = parseDecimal(argument);
      if (count === undefined || !isValidWorkerCount(count)) throw new UsageError(`invalid worker count \`${argument}'`);
      draft.workers = count;
      break;
    }
    case 'packet-memory-limit': {
      const mib = parseDecimal(argument);
      if (mib === undefined || !isValidPacketMemoryLimit(mib)) throw new UsageError(`invalid packet memory limit \`${argument}'`);
      draft.packetMemoryLimit = mib * BYTES_PER_MIB;
      break;
    }
    case 'peer-state-file': draft.peerStateFile = argument; break;
    case 'metrics-listen': {
      const listen = parseListenAddress(argument);
      if (!listen) throw new UsageError(`invalid metrics address \`${argument}'`);
      draft.metricsListen = listen;
      break;
    }
    case 'on-pre-up': draft.onPreUp = hook(state, argument, true); break;
    case 'on-post-down': draft.onPostDown = hook(state, argument, true); break;
    case 'on-up': draft.root.hooks.onUp = hook(state, argument, true); break;
    case 'on-down': draft.root.hooks.onDown = hook(state, argument, true); break;
    case 'on-connect': draft.root.hooks.onConnect = hook(state, argument, false); break;
    case 'on-establish': draft.root.hooks.onEstablish = hook(state, argument, false); break;
    case 'on-disestablish': draft.root.hooks.onDisestablish = hook(state, argument, false); break;
    case 'on-verify':
      draft.onVerify = hook(state, argument, false);
      draft.onVerifyGroup = draft.root;
      break;
    default:
      throw new Error(`option ${id} takes no argument`);
  }
}

/** Applies an option without argument. */
function applyFlag(state: ParseState, id: OptionId): void {
  switch (id) {
    case 'help':
    case 'version':
      state.immediate = id;
      return;
    case 'daemon': state.draft.daemon = true; break;
    case 'hide-ip-addresses': state.draft.hideIpAddresses = true; break;
    case 'hide-mac-addresses': state.draft.hideMacAddresses = true; break;
    case 'forward': state.draft.forward = true; break;
    case 'verify-config': state.verifyConfig = true; break;
    case 'generate-key': state.keyCommand = 'generate-key'; break;
    case 'show-key': state.keyCommand = 'show-key'; break;
    case 'machine-readable': state.machineReadable = true; break;
    default:
      throw new Error(`option ${id} needs an argument`);
  }
}

/** fastd's init_config: --verify-config wins over the key commands. */
function chosenCommand(state: ParseState): Command {
  if (state.immediate) return state.immediate;
  if (state.verifyConfig) return 'verify-config';
  return state.keyCommand ?? 'run';
}

/**
 * Parses fastd's command line (the arguments after the program name), reading config
 * files as their options come. `stdin` supplies the text for `-c -`. Throws UsageError
 * for a bad option and ConfigError for a bad configuration.
 */
export function parseCommandLine(argv: string[], stdin: () => string | Uint8Array = readStdin): CommandLine {
  const state: ParseState = {
    draft: newConfigDraft(),
    immediate: undefined,
    verifyConfig: false,
    keyCommand: undefined,
    machineReadable: false,
    configFile: undefined,
    cwd: process.cwd(),
    stdin,
  };
  for (let i = 0; i < argv.length && !state.immediate; i++) {
    const option = OPTIONS_BY_NAME.get(argv[i]);
    if (!option) throw new UsageError(`command line error: unknown option \`${argv[i]}'; see --help for usage`);
    if (option.argument === undefined) {
      applyFlag(state, option.id);
      continue;
    }
    if (i + 1 >= argv.length) {
      throw new UsageError(`command line error: option \`${argv[i]}' needs an argument; see --help for usage`);
    }
    applyArgument(state, option.id, argv[++i]);
  }
  const command = chosenCommand(state);
  const { config, warnings } = finishConfig(state.draft, CHECK_LEVEL[command]);
  return { command, machineReadable: state.machineReadable, configFile: state.configFile, config, warnings: [...warnings] };
}
