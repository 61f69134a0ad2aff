// Resolving a peer's `remote` entries (fastd's src/resolve.c): hostnames through the
// system resolver, restricted to the family the config names (`remote ipv4 "host"`), and
// again every time the peer comes back round to that remote, so a moved host is found.
import { lookup } from 'node:dns/promises';
import { isIPv6 } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { Remote } from '../../config/types.js';
import { log } from '../../log/logger.js';
import type { Endpoint } from '../datapath/messages.js';

/** IPv4-mapped IPv6 (::ffff:a.b.c.d) is an IPv4 peer, as fastd_peer_address_simplify says. */
const IPV4_MAPPED = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i;

function scopeIdOf(zone: string): number {
  if (/^\d+$/.test(zone)) return Number(zone);
  const entry = networkInterfaces()[zone]?.find((candidate) => candidate.family === 'IPv6');
  return entry?.scopeid ?? 0;
}

/** An endpoint for a resolved or literal address, `%zone` included. */
export function endpointOf(text: string, port: number): Endpoint {
  const mapped = IPV4_MAPPED.exec(text);
  if (mapped) return { family: 4, address: mapped[1]!, port, scopeId: 0 };
  const percent = text.indexOf('%');
  const address = percent < 0 ? text : text.slice(0, percent);
  const scopeId = percent < 0 ? 0 : scopeIdOf(text.slice(percent + 1));
  return { family: isIPv6(address) ? 6 : 4, address, port, scopeId };
}

/** gai_strerror's words for the getaddrinfo errors Node reports by code. */
const RESOLVER_ERRORS: Readonly<Record<string, string>> = {
  ENOTFOUND: 'Name or service not known',
  EAI_AGAIN: 'Temporary failure in name resolution',
  EAI_NODATA: 'No address associated with hostname',
  EAI_FAIL: 'Non-recoverable failure in name resolution',
  EAI_MEMORY: 'Memory allocation failure',
};

/**
 * The addresses a remote stands for now; empty (and logged) when a name does not resolve.
 * `peer` names the peer in fastd's resolver lines.
 */
export async function resolveRemote(remote: Remote, peer: string): Promise<Endpoint[]> {
  if (remote.kind === 'address') return [endpointOf(remote.address, remote.port)];
  // Scoped IPv6 literals (`[fe80::1%eth0]`) come as hostnames; they need no resolver.
  if (isIPv6(remote.hostname.split('%')[0]!)) return [endpointOf(remote.hostname, remote.port)];
  const family = remote.family === 'ipv4' ? 4 : remote.family === 'ipv6' ? 6 : 0;
  log.verbose(`resolving host \`${remote.hostname}' for peer ${peer}...`);
  try {
    const found = await lookup(remote.hostname, { all: true, family, verbatim: true });
    log.verbose(`resolved host \`${remote.hostname}' successfully`);
    return found.map((entry) => endpointOf(entry.address, remote.port));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = (code !== undefined && RESOLVER_ERRORS[code]) || (error as Error).message;
    log.verbose(`resolving host \`${remote.hostname}' failed: ${why}`);
    return [];
  }
}
