// Peer addresses as the control plane compares, logs and exports them (fastd's
// fastd_peer_address_equal and fastd_snprint_peer_address).
import { networkInterfaces } from 'node:os';
import type { Endpoint } from '../datapath/messages.js';

/** IPv4-mapped IPv6 (what a dual-stack socket reports) is the IPv4 address (fastd_peer_address_simplify). */
const IPV4_MAPPED_PREFIX = /^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i;

/** Address without port: fastd v23 rate-limits handshakes to unknown peers per address, not per port. */
export function addressKey(endpoint: Endpoint): string {
  // IPv4 text has no prefix to strip: a handshake asks for its sender's key several times
  if (endpoint.family === 4 && endpoint.scopeId === 0) return endpoint.address;
  const address = endpoint.address.replace(IPV4_MAPPED_PREFIX, '');
  return endpoint.scopeId === 0 ? address : `${address}%${endpoint.scopeId}`;
}

/** Address and port: equal keys mean the same UDP peer address. */
export function endpointKey(endpoint: Endpoint): string {
  return `${addressKey(endpoint)}|${endpoint.port}`;
}

function isLinkLocal(endpoint: Endpoint): boolean {
  return endpoint.family === 6 && /^fe[89ab]/i.test(endpoint.address);
}

/** if_indextoname through Node's interface list (the only name source without a native call). */
function interfaceNameOf(index: number): string | undefined {
  for (const [name, entries] of Object.entries(networkInterfaces())) {
    if (entries?.some((entry) => entry.family === 'IPv6' && entry.scopeid === index)) return name;
  }
  return undefined;
}

/** The address as fastd's hooks get it: link-local IPv6 with `%interface`. */
export function hookAddress(endpoint: Endpoint): string {
  if (!isLinkLocal(endpoint) || endpoint.scopeId === 0) return endpoint.address.replace(IPV4_MAPPED_PREFIX, '');
  const name = interfaceNameOf(endpoint.scopeId);
  return name === undefined ? endpoint.address : `${endpoint.address}%${name}`;
}

/** fastd's "%I": `1.2.3.4:port`, `[addr%iface]:port`, or `any` for no address. */
export function formatEndpoint(endpoint: Endpoint | undefined): string {
  if (!endpoint) return 'any';
  if (endpoint.family === 4 || IPV4_MAPPED_PREFIX.test(endpoint.address)) return `${hookAddress(endpoint)}:${endpoint.port}`;
  return `[${hookAddress(endpoint)}]:${endpoint.port}`;
}
