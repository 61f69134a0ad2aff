// The status document as a person reads it (`fastd-ts status`), in the manner of `wg show`: a
// summary of the daemon, then one aligned row per peer, connected peers first, each group by
// name. It takes what any fastd v22/v23 status socket sends; fastd-ts's own section, when
// present, adds a line of drop counters.
import type { FastdTsStatus, StatusDocument, StatusPeer, StatusStatistics } from './status-json.js';

/** What any fastd's status socket sends: fastd-ts adds its own section, fastd does not. */
export type FastdStatus = Omit<StatusDocument, 'fastd-ts'> & { readonly 'fastd-ts'?: FastdTsStatus };

/** Hex digits of a peer's key shown in the table: enough to tell a community's peers apart. */
export const KEY_PREFIX_LENGTH = 16;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The document, or a message saying what in it is not a fastd status document. */
export function asFastdStatus(json: unknown): FastdStatus | string {
  if (!isObject(json)) return 'the status document is not a JSON object';
  if (typeof json.uptime !== 'number') return 'the status document has no uptime';
  if (!isStatistics(json.statistics)) return 'the status document has no statistics';
  if (!isObject(json.peers)) return 'the status document has no peers';
  for (const [key, peer] of Object.entries(json.peers)) {
    if (!isObject(peer) || typeof peer.address !== 'string') return `peer ${key} has no address`;
    const { connection } = peer;
    if (connection !== null && !(isObject(connection) && typeof connection.established === 'number' && isStatistics(connection.statistics))) {
      return `peer ${key} has a malformed connection`;
    }
  }
  return json as unknown as FastdStatus;
}

function isStatistics(value: unknown): value is StatusStatistics {
  if (!isObject(value)) return false;
  return ['rx', 'tx'].every((name) => {
    const counter = value[name];
    return isObject(counter) && typeof counter.packets === 'number' && typeof counter.bytes === 'number';
  });
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

/** 1536 → "1.50 KiB": three significant digits, as `wg show` prints transfer. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 2 : value < 100 ? 1 : 0)} ${BYTE_UNITS[unit]}`;
}

/** A duration in milliseconds as its two largest units: "3d 4h", "2h 5m", "7m 3s", "42s". */
export function formatDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  const parts: [number, string][] = [
    [Math.floor(seconds / 86_400), 'd'],
    [Math.floor(seconds / 3_600) % 24, 'h'],
    [Math.floor(seconds / 60) % 60, 'm'],
    [seconds % 60, 's'],
  ];
  const first = parts.findIndex(([value]) => value > 0);
  if (first < 0) return '0s';
  return parts
    .slice(first, first + 2)
    .map(([value, unit]) => `${value}${unit}`)
    .join(' ');
}

interface Row {
  readonly connected: boolean;
  readonly sortName: string;
  readonly cells: readonly string[];
}

/** Connected peers first; by name, unnamed ones by key after the named ones. */
function compareRows(a: Row, b: Row): number {
  if (a.connected !== b.connected) return a.connected ? -1 : 1;
  return a.sortName < b.sortName ? -1 : a.sortName > b.sortName ? 1 : 0;
}

const CONNECTED = 'connected';
const NOT_CONNECTED = 'not connected';
const UNNAMED = '-';

function peerRow(key: string, peer: StatusPeer, withInterface: boolean, withMacs: boolean): Row {
  const { connection } = peer;
  const cells = [
    printable(peer.name ?? UNNAMED),
    key.slice(0, KEY_PREFIX_LENGTH),
    peer.address,
    ...(withInterface ? [peer.interface ?? ''] : []),
    connection ? CONNECTED : NOT_CONNECTED,
    connection?.method ?? '',
    connection ? formatDuration(connection.established) : '',
    connection ? formatBytes(connection.statistics.rx.bytes) : '',
    connection ? formatBytes(connection.statistics.tx.bytes) : '',
    ...(withMacs ? [connection?.mac_addresses?.join(',') ?? ''] : []),
  ];
  // '\uffff' sorts the unnamed after every name
  return { connected: connection !== null, sortName: peer.name ?? `\uffff${key}`, cells };
}

/** A cell's text on one line: control characters (a peer name may hold any) escaped as in JSON. */
function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return /[\x00-\x1f\x7f]/.test(text) ? JSON.stringify(text).slice(1, -1) : text;
}

/** Text columns left-aligned to their widest cell; the last column is not padded. */
function alignColumns(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) =>
    row
      .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!)))
      .join('  ')
      .trimEnd(),
  );
}

const GREEN = '\x1b[32m';
const DIM = '\x1b[2m';
const BOLD = '\x1b[1m';
const RESET = '\x1b[0m';

export interface TableOptions {
  /** ANSI colours (only for a terminal). */
  readonly color: boolean;
}

/** The whole document as text, ending with a newline. */
export function formatStatusTable(status: FastdStatus, options: TableOptions): string {
  const paint = (code: string, text: string) => (options.color ? `${code}${text}${RESET}` : text);
  const entries = Object.entries(status.peers);
  const connected = entries.filter(([, peer]) => peer.connection !== null).length;
  const { rx, tx } = status.statistics;
  const lines = [
    `${paint(BOLD, 'interface:')} ${status.interface ?? '(one per peer)'}`,
    `  uptime: ${formatDuration(status.uptime)}`,
    `  peers: ${connected} connected of ${entries.length}`,
    `  transfer: ${formatBytes(rx.bytes)} received, ${formatBytes(tx.bytes)} sent`,
  ];
  const own = status['fastd-ts'];
  if (own) {
    const drops = Object.entries(own.dropped)
      .map(([reason, count]) => `${reason} ${count}`)
      .join(', ');
    lines.push(`  io backend: ${own.io_backend ?? 'starting'}`, `  dropped: ${drops}`);
  }
  if (entries.length === 0) return `${lines.join('\n')}\n`;

  const withInterface = entries.some(([, peer]) => peer.interface !== undefined);
  const withMacs = entries.some(([, peer]) => peer.connection?.mac_addresses !== undefined);
  const header = ['NAME', 'KEY', 'ADDRESS', ...(withInterface ? ['INTERFACE'] : []), 'STATE', 'METHOD', 'SINCE', 'RX', 'TX', ...(withMacs ? ['MACS'] : [])];
  const rows = entries.map(([key, peer]) => peerRow(key, peer, withInterface, withMacs)).sort(compareRows);
  const [headerLine, ...rowLines] = alignColumns([header, ...rows.map((row) => row.cells)]);
  lines.push('', paint(BOLD, headerLine!));
  rowLines.forEach((line, i) => lines.push(paint(rows[i]!.connected ? GREEN : DIM, line)));
  return `${lines.join('\n')}\n`;
}
