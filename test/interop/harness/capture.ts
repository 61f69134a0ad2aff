// Counts the fastd packets of one type on the underlay with tcpdump: proof of which framing
// (v22+ data 0x00, pre-v22 data 0x02, handshake 0x01) two daemons really use.
import { spawn } from 'node:child_process';
import { trackPid, untrackPid } from '../../../src/testbed/cleanup.js';
import type { Namespace } from '../../../src/testbed/namespaces.js';
import { sleep } from '../../helpers/wait.js';

/** tcpdump needs a moment to attach its filter before traffic starts. */
const ATTACH_MS = 500;

export interface Capture {
  readonly count: number;
  /** tcpdump's text (one header line per packet, then its bytes in hex), for failure messages. */
  readonly text: string;
}

/**
 * Captures the UDP packets to or from `port` on `device` whose first payload byte is
 * `packetType`, while `traffic` runs.
 */
export async function capturePacketsOfType(
  namespace: Namespace,
  device: string,
  port: number,
  packetType: number,
  traffic: () => Promise<unknown>,
): Promise<Capture> {
  const filter = `udp port ${port} and udp[8] = ${packetType}`;
  const tcpdump = spawn('ip', ['netns', 'exec', namespace.name, 'tcpdump', '-i', device, '-n', '-l', '-x', filter], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  if (tcpdump.pid !== undefined) trackPid(tcpdump.pid);
  let text = '';
  tcpdump.stdout.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => tcpdump.once('exit', () => resolve()));
  try {
    await sleep(ATTACH_MS);
    await traffic();
    await sleep(ATTACH_MS);
  } finally {
    tcpdump.kill('SIGINT');
    await exited;
    if (tcpdump.pid !== undefined) untrackPid(tcpdump.pid);
  }
  // Hex dump lines are indented; every other line is one packet's header line.
  const count = text.split('\n').filter((line) => line !== '' && !/^\s/.test(line)).length;
  return { count, text };
}
