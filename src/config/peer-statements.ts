// The peer scope of fastd.conf: the body of `peer "name" { … }` and whole peer files
// (`include peer`, peer directories, --config-peer). Grammar: fastd src/config.y peer_conf.
import { formatIPv6, simplifyIPv6 } from './addresses.js';
import { isValidInterfaceName, type PeerDraft } from './draft.js';
import { ConfigError, type SourceLocation } from './errors.js';
import { MAX_INCLUDE_DEPTH, readConfigSource, type ConfigSource } from './sources.js';
import { TokenStream } from './token-stream.js';
import type { AddressFamily, Remote } from './types.js';

/** Reads an included file one level deeper, refusing include chains longer than fastd allows. */
export function readIncluded(name: string, from: ConfigSource, depth: number, where: SourceLocation): ConfigSource {
  if (depth >= MAX_INCLUDE_DEPTH) throw new ConfigError('maximum config include depth exceeded', where);
  return readConfigSource(name, from.dir, where);
}

function parseRemote(tokens: TokenStream): Remote {
  const family: AddressFamily | undefined = tokens.isKeyword('ipv4') || tokens.isKeyword('ipv6')
    ? tokens.expectOneOf(['ipv4', 'ipv6'])
    : undefined;
  const token = tokens.peek();
  if (token.kind === 'ipv4' && family !== 'ipv6') {
    tokens.take();
    return { kind: 'address', family: 'ipv4', address: token.address, port: tokens.expectPort(1n) };
  }
  if (token.kind === 'ipv6' && family !== 'ipv4') {
    tokens.take();
    return { kind: 'address', ...simplifyIPv6(token.bytes), port: tokens.expectPort(1n) };
  }
  if (token.kind === 'ipv6-scoped' && family !== 'ipv4') {
    tokens.take();
    // fastd keeps a scoped literal as a name for getaddrinfo, which understands `%ifname`.
    const hostname = `${formatIPv6(token.bytes)}%${token.ifname}`;
    return { kind: 'hostname', family: 'ipv6', hostname, port: tokens.expectPort(1n) };
  }
  if (token.kind === 'string') {
    tokens.take();
    return { kind: 'hostname', family, hostname: token.value, port: tokens.expectPort(1n) };
  }
  return tokens.unexpected();
}

/** One peer statement, the next token being its keyword. */
function parsePeerStatement(tokens: TokenStream, source: ConfigSource, peer: PeerDraft, depth: number): void {
  const keyword = tokens.expectOneOf(['remote', 'float', 'key', 'interface', 'mtu', 'include']);
  switch (keyword) {
    case 'remote':
      peer.remotes.push(parseRemote(tokens));
      break;
    case 'float':
      peer.floating = tokens.expectBoolean();
      break;
    case 'key': {
      const { value, location } = tokens.expectString();
      peer.key = { text: value, source: location };
      break;
    }
    case 'interface': {
      const { value, location } = tokens.expectString();
      if (!isValidInterfaceName(value)) throw new ConfigError('invalid interface name', location);
      peer.interface = { name: value, source: location };
      break;
    }
    case 'mtu':
      peer.mtu = tokens.expectMtu();
      break;
    case 'include': {
      const { value, location } = tokens.expectString();
      parsePeerSource(readIncluded(value, source, depth + 1, location), peer, depth + 1);
      break;
    }
  }
  tokens.expectEnd();
}

/** Peer statements up to (not including) a closing `}` or the end of the file. */
export function parsePeerStatements(tokens: TokenStream, source: ConfigSource, peer: PeerDraft, depth: number): void {
  for (;;) {
    const token = tokens.peek();
    if (token.kind === 'eof' || (token.kind === 'punctuation' && token.char === '}')) return;
    parsePeerStatement(tokens, source, peer, depth);
  }
}

/**
 * A whole file in peer scope; `depth` is its include depth (0 for peer-dir files and
 * --config-peer). Returns where the file ended, where fastd then adds the peer.
 */
export function parsePeerSource(source: ConfigSource, peer: PeerDraft, depth: number): SourceLocation {
  const tokens = new TokenStream(source.bytes, source.name);
  parsePeerStatements(tokens, source, peer, depth);
  return tokens.expect('eof').location;
}
