import { describe, expect, it } from 'vitest';
import type { StatusConnection, StatusStatistics } from '../../src/status/status-json.js';
import { asFastdStatus, type FastdStatus, formatBytes, formatDuration, formatStatusTable } from '../../src/status/status-table.js';

const KEYS = ['aa', 'bb', 'cc', 'dd'].map((pair) => pair.repeat(32));

function statistics(rxBytes: number, txBytes: number): StatusStatistics {
  const counter = (bytes: number) => ({ packets: Math.ceil(bytes / 1000), bytes });
  return { rx: counter(rxBytes), rx_reordered: counter(0), tx: counter(txBytes), tx_dropped: counter(0), tx_error: counter(0) };
}

function connection(established: number, macs: string[]): StatusConnection {
  return { established, method: 'salsa2012+umac', statistics: statistics(1536, 3 * 1024 * 1024), mac_addresses: macs };
}

/** A TAP supernode's document as fastd sends it: named and unnamed peers, some not connected. */
const DOCUMENT: FastdStatus = {
  uptime: 3_723_000,
  interface: 'fastd-bat',
  statistics: statistics(5 * 1024 ** 3, 1024),
  peers: {
    [KEYS[0]!]: { name: 'zulu', address: 'any', connection: null },
    [KEYS[1]!]: { name: null, address: '198.51.100.7:10001', connection: connection(65_000, ['02:00:00:00:00:07']) },
    [KEYS[2]!]: { name: 'alpha', address: '[2001:db8::2]:10000', connection: connection(90_061_000, ['02:00:00:00:00:02', '02:00:00:00:00:03']) },
    [KEYS[3]!]: { name: 'mike', address: 'any', connection: null },
  },
};

describe('formatStatusTable', () => {
  const text = formatStatusTable(DOCUMENT, { color: false });
  const lines = text.split('\n');
  const header = lines.findIndex((line) => line.startsWith('NAME'));
  const rows = lines.slice(header + 1, -1);

  it('sums up the daemon above the table', () => {
    expect(lines.slice(0, 4)).toEqual(['interface: fastd-bat', '  uptime: 1h 2m', '  peers: 2 connected of 4', '  transfer: 5.00 GiB received, 1.00 KiB sent']);
  });

  it('lists connected peers first, each group by name, unnamed ones last', () => {
    expect(rows.map((row) => row.split(/\s+/)[0])).toEqual(['alpha', '-', 'mike', 'zulu']);
  });

  it('puts every cell of a column at the offset of its heading', () => {
    const headings = lines[header]!.split(/\s{2,}/);
    const alpha = rows[0]!;
    const cells = alpha.split(/\s{2,}/);
    expect(cells).toEqual(['alpha', KEYS[2]!.slice(0, 16), '[2001:db8::2]:10000', 'connected', 'salsa2012+umac', '1d 1h', '1.50 KiB', '3.00 MiB', '02:00:00:00:00:02,02:00:00:00:00:03']);
    headings.forEach((heading, column) => expect(alpha.indexOf(cells[column]!), heading).toBe(lines[header]!.indexOf(heading)));
  });

  it('colours rows only when asked', () => {
    expect(text).not.toContain('\x1b[');
    const coloured = formatStatusTable(DOCUMENT, { color: true });
    expect(coloured).toContain('\x1b[32m');
    expect(coloured.replace(/\x1b\[[0-9]+m/g, '')).toBe(text);
  });

  it('keeps a row on one line whatever the name holds (found by the property test)', () => {
    const named: FastdStatus = { ...DOCUMENT, peers: { [KEYS[0]!]: { name: 'two\nlines\r', address: 'any', connection: null } } };
    const rows = formatStatusTable(named, { color: false }).split('\n');
    expect(rows.at(-2)).toMatch(/^two\\nlines\\r +aaaa/);
  });

  it('adds an interface column where interfaces are per peer, and no MACS column outside TAP mode', () => {
    const multitap: FastdStatus = {
      uptime: 1000,
      statistics: statistics(0, 0),
      peers: { [KEYS[0]!]: { name: 'a', address: 'any', interface: 'tap-a', mtu: 1406, connection: null } },
    };
    const heading = formatStatusTable(multitap, { color: false }).split('\n').find((line) => line.startsWith('NAME'))!;
    expect(heading.split(/\s+/)).toEqual(['NAME', 'KEY', 'ADDRESS', 'INTERFACE', 'STATE', 'METHOD', 'SINCE', 'RX', 'TX']);
  });
});

describe('asFastdStatus', () => {
  it('takes a document fastd sends', () => {
    expect(asFastdStatus(JSON.parse(JSON.stringify(DOCUMENT)))).toEqual(DOCUMENT);
  });

  it.each([
    ['not an object', [], 'not a JSON object'],
    ['no uptime', { statistics: statistics(0, 0), peers: {} }, 'no uptime'],
    ['no peers', { uptime: 1, statistics: statistics(0, 0) }, 'no peers'],
    ['a peer without address', { uptime: 1, statistics: statistics(0, 0), peers: { k: { name: null, connection: null } } }, 'peer k has no address'],
    ['a broken connection', { uptime: 1, statistics: statistics(0, 0), peers: { k: { address: 'any', connection: { established: 1 } } } }, 'peer k has a malformed connection'],
  ])('says what is wrong with %s', (_, json, message) => {
    expect(asFastdStatus(json)).toContain(message);
  });
});

describe('formatBytes and formatDuration', () => {
  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1024, '1.00 KiB'],
    [150 * 1024 * 1024, '150 MiB'],
    [42.5 * 1024 ** 4, '42.5 TiB'],
  ])('%d bytes are %s', (bytes, text) => expect(formatBytes(bytes)).toBe(text));

  it.each([
    [0, '0s'],
    [999, '0s'],
    [42_000, '42s'],
    [423_000, '7m 3s'],
    [7_500_000, '2h 5m'],
    [273_600_000, '3d 4h'],
    [86_400_000, '1d 0h'],
  ])('%d ms are %s', (ms, text) => expect(formatDuration(ms)).toBe(text));
});
