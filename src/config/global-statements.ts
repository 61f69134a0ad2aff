// Statements fastd allows only at the top level of the main configuration (config.y
// `statement` minus `peer_group_statement`): interface, sockets, logging, privileges.
import { parseListenAddress, simplifyIPv6 } from './addresses.js';
import { isKnownImplementation, CIPHER_IMPLEMENTATIONS, MAC_IMPLEMENTATIONS } from './crypto-implementations.js';
import { DEFAULT_LOG_LEVEL, isIoBackend, isValidPacketMemoryLimit, isValidWorkerCount, isValidInterfaceName, type BindDraft, type ConfigDraft } from './draft.js';
import { ConfigError, type SourceLocation } from './errors.js';
import type { Keyword } from './lexer.js';
import type { ConfigSource } from './sources.js';
import type { TokenStream } from './token-stream.js';
import { LOG_LEVELS, type LogLevel } from '../log/levels.js';
import { BYTES_PER_MIB, MAX_WORKERS, PACKET_MEMORY_LIMIT_MIB } from './types.js';

export const SUPPORTED_PROTOCOL = 'ec25519-fhmqvc';
const PACKET_MARK_MASK = 0xffffffffn;
const SECURE_HANDSHAKES_WARNING =
  "'secure handshakes' configuration is deprecated, insecure handshakes are not supported anymore";

const GLOBAL_KEYWORDS: ReadonlySet<Keyword> = new Set<Keyword>([
  'user', 'group', 'drop', 'secure', 'cipher', 'mac', 'log', 'hide', 'interface', 'bind', 'packet', 'mtu',
  'pmtu', 'mode', 'persist', 'offload', 'protocol', 'secret', 'status', 'forward', 'io',
  'workers', 'metrics',
]);

export interface StatementContext {
  readonly tokens: TokenStream;
  readonly draft: ConfigDraft;
  readonly source: ConfigSource;
}

export function isGlobalKeyword(keyword: Keyword): boolean {
  return GLOBAL_KEYWORDS.has(keyword);
}

function maybeLogLevel(tokens: TokenStream): LogLevel {
  return tokens.acceptKeyword('level') ? tokens.expectOneOf(LOG_LEVELS) : DEFAULT_LOG_LEVEL;
}

function parseLog({ tokens, draft }: StatementContext): void {
  if (tokens.acceptKeyword('level')) {
    // "Sets the default log level": syslog if it is in use, stderr otherwise or as well.
    const level = tokens.expectOneOf(LOG_LEVELS);
    if (draft.syslogLevel) draft.syslogLevel = level;
    if (draft.stderrLevel || !draft.syslogLevel) draft.stderrLevel = level;
    return;
  }
  tokens.expectKeyword('to');
  if (tokens.expectOneOf(['stderr', 'syslog']) === 'stderr') {
    draft.stderrLevel = maybeLogLevel(tokens);
    return;
  }
  if (tokens.acceptKeyword('as')) draft.syslogIdent = tokens.expectString().value;
  draft.syslogLevel = maybeLogLevel(tokens);
}

function parseBindDefault(tokens: TokenStream, bind: BindDraft): void {
  if (!tokens.acceptKeyword('default')) return;
  const only = tokens.isKeyword('ipv4') || tokens.isKeyword('ipv6') ? tokens.expectOneOf(['ipv4', 'ipv6']) : undefined;
  bind.defaultIpv4 = only !== 'ipv6';
  bind.defaultIpv6 = only !== 'ipv4';
}

function maybeBindPort(tokens: TokenStream): number | undefined {
  return tokens.isPunctuation(':') || tokens.isKeyword('port') ? tokens.expectPort(0n) : undefined;
}

function parseBind({ tokens, draft }: StatementContext): void {
  const token = tokens.take();
  const bind: BindDraft = {
    family: 'any',
    address: '::',
    port: undefined,
    interface: undefined,
    defaultIpv4: false,
    defaultIpv6: false,
  };
  if (token.kind === 'ipv6-scoped') {
    Object.assign(bind, simplifyIPv6(token.bytes), { interface: token.ifname });
    bind.port = maybeBindPort(tokens);
  } else {
    if (token.kind === 'ipv4') Object.assign(bind, { family: 'ipv4', address: token.address });
    else if (token.kind === 'ipv6') Object.assign(bind, simplifyIPv6(token.bytes));
    else if (!(token.kind === 'keyword' && token.keyword === 'any')) tokens.unexpected(token);
    bind.port = maybeBindPort(tokens);
    if (tokens.acceptKeyword('interface')) bind.interface = tokens.expectString().value;
  }
  parseBindDefault(tokens, bind);
  draft.binds.push(bind);
}

function parseImplementation(
  { tokens }: StatementContext,
  table: Readonly<Record<string, readonly string[]>>,
  what: 'cipher' | 'MAC',
  chosen: Map<string, string>,
): void {
  const name = tokens.expectString();
  tokens.expectKeyword('use');
  const implementation = tokens.expectString().value;
  if (!isKnownImplementation(table, name.value, implementation)) {
    throw new ConfigError(
      `implementation \`${implementation}' is not supported for ${what} \`${name.value}' (or ${what} \`${name.value}' is not supported)`,
      name.location,
    );
  }
  chosen.set(name.value, implementation);
}

function parseOn(context: StatementContext): void {
  const { tokens, draft, source } = context;
  const which = tokens.expectOneOf(['pre-up', 'post-down']);
  const { value, location } = tokens.expectString();
  // pre-up and post-down take no sync/async in the grammar; fastd always runs them in sync.
  const command = { command: value, sync: true, dir: source.dir, source: location };
  if (which === 'pre-up') draft.onPreUp = command;
  else draft.onPostDown = command;
}

/** Parses a global statement after its first keyword, up to and including the `;`. */
export function parseGlobalStatement(keyword: Keyword, at: SourceLocation, context: StatementContext): void {
  const { tokens, draft } = context;
  switch (keyword) {
    case 'user':
    case 'group': {
      const { value, location } = tokens.expectString();
      draft[keyword] = { name: value, source: location };
      break;
    }
    case 'drop':
      tokens.expectKeyword('capabilities');
      draft.dropCapabilities = tokens.expectOneOf(['early', 'force', 'yes', 'no']);
      break;
    case 'secure':
      tokens.expectKeyword('handshakes');
      tokens.expectBoolean();
      draft.warnings.push({ message: SECURE_HANDSHAKES_WARNING, location: at });
      break;
    case 'cipher':
      parseImplementation(context, CIPHER_IMPLEMENTATIONS, 'cipher', draft.cipherImplementations);
      break;
    case 'mac':
      parseImplementation(context, MAC_IMPLEMENTATIONS, 'MAC', draft.macImplementations);
      break;
    case 'log':
      parseLog(context);
      break;
    case 'hide': {
      const what = tokens.expectOneOf(['ip', 'mac']);
      tokens.expectKeyword('addresses');
      if (what === 'ip') draft.hideIpAddresses = tokens.expectBoolean();
      else draft.hideMacAddresses = tokens.expectBoolean();
      break;
    }
    case 'interface': {
      const { value, location } = tokens.expectString();
      if (!isValidInterfaceName(value)) throw new ConfigError('invalid interface name', location);
      draft.interface = { name: value, source: location };
      break;
    }
    case 'bind':
      parseBind(context);
      break;
    case 'packet': {
      if (tokens.acceptKeyword('memory')) {
        parsePacketMemoryLimit(context);
        break;
      }
      tokens.expectKeyword('mark');
      const { value, location } = tokens.expect('uint');
      // fastd stores the mark in 32 bits and silently drops the rest.
      if (value > PACKET_MARK_MASK) draft.warnings.push({ message: 'packet mark truncated to 32 bits', location });
      draft.packetMark = Number(value & PACKET_MARK_MASK);
      break;
    }
    case 'mtu':
      draft.mtu = tokens.expectMtu();
      break;
    case 'pmtu':
      // Accepted for compatibility with old fastd versions; it does nothing.
      tokens.expectOneOf(['auto', 'yes', 'no']);
      break;
    case 'mode':
      draft.mode = tokens.expectOneOf(['tap', 'multitap', 'tun']);
      break;
    case 'persist':
      tokens.expectKeyword('interface');
      draft.persistInterface = tokens.expectBoolean();
      break;
    case 'offload': {
      const location = tokens.expectKeyword('l2tp');
      draft.offloadL2tp = { enabled: tokens.expectBoolean(), source: location };
      break;
    }
    case 'protocol': {
      const { value, location } = tokens.expectString();
      if (value !== SUPPORTED_PROTOCOL) throw new ConfigError(`protocol \`${value}' not supported`, location);
      break;
    }
    case 'secret': {
      const { value, location } = tokens.expectString();
      draft.secret = { text: value, source: location };
      break;
    }
    case 'on':
      parseOn(context);
      break;
    case 'status':
      tokens.expectKeyword('socket');
      draft.statusSocket = tokens.expectString().value;
      break;
    case 'forward':
      draft.forward = tokens.expectBoolean();
      break;
    case 'io': {
      // A fastd-ts extension (fastd has no such statement), written the way fastd.conf names things.
      tokens.expectKeyword('backend');
      const { value, location } = tokens.expectString();
      if (!isIoBackend(value)) throw new ConfigError(`unknown I/O backend \`${value}' (use "io_uring" or "fallback")`, location);
      draft.ioBackend = value;
      break;
    }
    case 'workers': {
      // A fastd-ts extension: how many datapath threads the peers are spread over.
      const { value, location } = tokens.expect('uint');
      if (!isValidWorkerCount(value)) throw new ConfigError(`invalid worker count (use 1 to ${MAX_WORKERS})`, location);
      draft.workers = Number(value);
      break;
    }
    case 'metrics': {
      // A fastd-ts extension: the Prometheus endpoint (status/metrics-server.ts).
      tokens.expectKeyword('listen');
      const { value, location } = tokens.expectString();
      const listen = parseListenAddress(value);
      if (!listen) throw new ConfigError(`invalid metrics address \`${value}' (use "ADDRESS:PORT", "[IPV6]:PORT" or "any:PORT")`, location);
      draft.metricsListen = listen;
      break;
    }
    default:
      throw new ConfigError('syntax error', at);
  }
  tokens.expectEnd();
}

/** `packet memory limit <MiB>;`, a fastd-ts extension: each datapath worker's packet memory ceiling. */
function parsePacketMemoryLimit({ tokens, draft }: StatementContext): void {
  tokens.expectKeyword('limit');
  const { value, location } = tokens.expect('uint');
  if (!isValidPacketMemoryLimit(value)) {
    throw new ConfigError(`invalid packet memory limit (use ${PACKET_MEMORY_LIMIT_MIB.MIN} to ${PACKET_MEMORY_LIMIT_MIB.MAX} MiB)`, location);
  }
  draft.packetMemoryLimit = Number(value) * BYTES_PER_MIB;
}
