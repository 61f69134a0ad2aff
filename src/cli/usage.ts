// fastd's command-line options (src/options.def.h) as one table: the parser in options.ts
// matches arguments against it and usageText() prints it in fastd's --help layout.
import { PACKET_MEMORY_LIMIT_MIB } from '../config/types.js';
import { LOG_LEVELS } from '../log/levels.js';
import { FASTD_COMPAT_VERSION } from './version.js';

export type OptionId =
  | 'help' | 'version' | 'daemon' | 'pid-file' | 'status-socket'
  | 'config' | 'config-peer' | 'config-peer-dir'
  | 'user' | 'group'
  | 'log-level' | 'syslog-level' | 'syslog-ident' | 'hide-ip-addresses' | 'hide-mac-addresses'
  | 'mode' | 'interface' | 'mtu' | 'bind' | 'protocol' | 'method' | 'forward'
  | 'on-pre-up' | 'on-up' | 'on-down' | 'on-post-down' | 'on-connect' | 'on-establish' | 'on-disestablish' | 'on-verify'
  | 'verify-config' | 'generate-key' | 'show-key' | 'machine-readable'
  | 'io-backend'
  | 'workers'
  | 'packet-memory-limit'
  | 'peer-state-file'
  | 'metrics-listen';

export interface OptionSpec {
  readonly id: OptionId;
  /** Spellings, long form first, each matched exactly (no `--opt=value`, no bundling). */
  readonly names: readonly string[];
  /** How --help names the argument; absent for flags. */
  readonly argument?: string;
  readonly help: string;
}

/** fastd's --help leaves out `fatal`, which the options accept all the same. */
const LOG_LEVEL_ARGUMENT = LOG_LEVELS.filter((level) => level !== 'fatal').join('|');
const COMMAND = '<command>';

/** The options in fastd's groups and order. */
export const OPTION_GROUPS: readonly (readonly OptionSpec[])[] = [
  [
    { id: 'help', names: ['--help', '-h'], help: 'Shows this help text' },
    { id: 'version', names: ['--version', '-v'], help: 'Shows the fastd version' },
    { id: 'daemon', names: ['--daemon', '-d'], help: 'Runs fastd in the background' },
    { id: 'pid-file', names: ['--pid-file'], argument: '<filename>', help: "Writes fastd's PID to the specified file" },
    { id: 'status-socket', names: ['--status-socket'], argument: '<socket>', help: "Configure a socket to get fastd's status" },
  ],
  [
    { id: 'config', names: ['--config', '-c'], argument: '<filename>', help: 'Loads a config file' },
    { id: 'config-peer', names: ['--config-peer'], argument: '<filename>', help: 'Loads a config file for a single peer' },
    { id: 'config-peer-dir', names: ['--config-peer-dir'], argument: '<dir>', help: 'Loads all files from a directory as peer configs' },
  ],
  [
    { id: 'user', names: ['--user'], argument: '<user>', help: 'Sets the user to run fastd as' },
    { id: 'group', names: ['--group'], argument: '<group>', help: 'Sets the group to run fastd as' },
  ],
  [
    {
      id: 'log-level',
      names: ['--log-level'],
      argument: LOG_LEVEL_ARGUMENT,
      help: 'Sets the stderr log level; default is info, if no alternative log destination is configured',
    },
    {
      id: 'syslog-level',
      names: ['--syslog-level'],
      argument: LOG_LEVEL_ARGUMENT,
      help: 'Sets the log level for syslog output; default is not to use syslog',
    },
    { id: 'syslog-ident', names: ['--syslog-ident'], argument: '<ident>', help: "Sets the syslog identification; default is 'fastd'" },
    { id: 'hide-ip-addresses', names: ['--hide-ip-addresses'], help: 'Hides IP addresses in log output' },
    { id: 'hide-mac-addresses', names: ['--hide-mac-addresses'], help: 'Hides MAC addresses in log output' },
  ],
  [
    { id: 'mode', names: ['--mode', '-m'], argument: 'tap|multitap|tun', help: 'Sets the mode of operation' },
    { id: 'interface', names: ['--interface', '-i'], argument: '<name>', help: 'Sets the name of the TUN/TAP interface to use' },
    { id: 'mtu', names: ['--mtu', '-M'], argument: '<mtu>', help: 'Sets the MTU; must be at least 576' },
    { id: 'bind', names: ['--bind', '-b'], argument: '<address>[:<port>]', help: 'Sets the bind address' },
    { id: 'protocol', names: ['--protocol', '-p'], argument: '<protocol>', help: 'Sets the protocol' },
    { id: 'method', names: ['--method'], argument: '<method>', help: 'Sets the encryption method' },
    {
      id: 'forward',
      names: ['--forward'],
      help: 'Enables forwarding of packets between peers; read the documentation before use!',
    },
  ],
  [
    { id: 'on-pre-up', names: ['--on-pre-up'], argument: COMMAND, help: 'Sets a shell command to execute before interface creation' },
    { id: 'on-up', names: ['--on-up'], argument: COMMAND, help: 'Sets a shell command to execute after interface creation' },
    { id: 'on-down', names: ['--on-down'], argument: COMMAND, help: 'Sets a shell command to execute before interface destruction' },
    { id: 'on-post-down', names: ['--on-post-down'], argument: COMMAND, help: 'Sets a shell command to execute after interface destruction' },
    {
      id: 'on-connect',
      names: ['--on-connect'],
      argument: COMMAND,
      help: 'Sets a shell command to execute when a handshake is sent to establish a new connection',
    },
    {
      id: 'on-establish',
      names: ['--on-establish'],
      argument: COMMAND,
      help: 'Sets a shell command to execute when a new connection is established',
    },
    {
      id: 'on-disestablish',
      names: ['--on-disestablish'],
      argument: COMMAND,
      help: 'Sets a shell command to execute when a connection is lost',
    },
    {
      id: 'on-verify',
      names: ['--on-verify'],
      argument: COMMAND,
      help: 'Sets a shell command to execute to check a connection attempt by an unknown peer',
    },
  ],
  [
    { id: 'verify-config', names: ['--verify-config'], help: 'Checks the configuration and exits' },
    { id: 'generate-key', names: ['--generate-key'], help: 'Generates a new keypair' },
    { id: 'show-key', names: ['--show-key'], help: 'Shows the public key corresponding to the configured secret' },
    {
      id: 'machine-readable',
      names: ['--machine-readable'],
      help: 'Suppresses output of explaining text in the --show-key and --generate-key commands',
    },
  ],
];

/** Options fastd does not have; --help lists them after fastd's own, under a heading of their own. */
export const EXTENSION_OPTIONS: readonly OptionSpec[] = [
  {
    id: 'io-backend',
    names: ['--io-backend'],
    argument: 'io_uring|fallback',
    help: 'Sets the datapath I/O backend; default is io_uring where the kernel allows it',
  },
  {
    id: 'workers',
    names: ['--workers'],
    argument: 'N',
    help: 'Sets the number of datapath worker threads; default is one per core',
  },
  {
    id: 'packet-memory-limit',
    names: ['--packet-memory-limit'],
    argument: 'MiB',
    help: `Sets the most packet memory each datapath worker may use; default is ${PACKET_MEMORY_LIMIT_MIB.DEFAULT}`,
  },
  {
    id: 'peer-state-file',
    names: ['--peer-state-file'],
    argument: 'FILE',
    help: 'Remembers where peers were, to handshake them at once after a restart; default is the status socket\'s path with .peers appended, "" for none',
  },
  {
    id: 'metrics-listen',
    names: ['--metrics-listen'],
    argument: 'ADDRESS:PORT',
    help: 'Serves Prometheus metrics over HTTP at /metrics there ([IPV6]:PORT, any:PORT); default is none',
  },
];

/** fastd's print_usage puts the help text in column 29, or on the next line when the option is wider. */
const HELP_COLUMN = 28;

function usageLine(option: OptionSpec): string {
  const left = `  ${option.names.join(', ')}${option.argument ? ` ${option.argument}` : ''}`;
  return left.length < HELP_COLUMN
    ? `${left.padEnd(HELP_COLUMN)}${option.help}\n`
    : `${left}\n${' '.repeat(HELP_COLUMN)}${option.help}\n`;
}

/** The --help text: fastd's part byte for byte in fastd's layout, then our extensions (unless left out). */
export function usageText(withExtensions = true): string {
  const groups = OPTION_GROUPS.map((group) => group.map(usageLine).join(''));
  const fastd = `fastd (Fast and Secure Tunnelling Daemon) ${FASTD_COMPAT_VERSION} usage:\n\n${groups.join('\n')}`;
  const subcommands = '\nfastd-ts status [SOCKET | --config FILE] [--json]\n        Shows the peers of a running fastd from its status socket; see fastd-ts status --help\n';
  return withExtensions ? `${fastd}\nfastd-ts extensions:\n${EXTENSION_OPTIONS.map(usageLine).join('')}${subcommands}` : fastd;
}
